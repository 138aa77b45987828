import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

/**
 * Three builds: the Node side (Electron main and the `replaydesk` CLI, which share modules),
 * the preload (CommonJS, as a sandboxed preload must be) and the Vue renderer. The snippet
 * has its own config in `snippet/`, since it runs inside other people's pages.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve('electron/main/index.ts'),
          cli: resolve('electron/cli/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      rolldownOptions: {
        input: {
          index: resolve('renderer/index.html'),
          // The player document: its own origin, rrweb's Replayer and nothing privileged.
          player: resolve('renderer/player.html'),
        },
      },
    },
  },
})

import { resolve } from 'node:path'
import { defineConfig } from 'vite'

/** The player of exported HTML sessions: one IIFE, inlined into each exported file. */
export default defineConfig({
  build: {
    outDir: resolve(import.meta.dirname, '../../out/standalone'),
    emptyOutDir: true,
    minify: true,
    lib: {
      entry: resolve(import.meta.dirname, 'standalonePlayer.ts'),
      formats: ['iife'],
      name: 'ReplaydeskStandalonePlayer',
      fileName: () => 'player.js',
    },
  },
})

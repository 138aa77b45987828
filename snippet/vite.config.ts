import { resolve } from 'node:path'
import { defineConfig } from 'vite'

/** The snippet: one self-contained, minified IIFE that the collector serves at /snippet.js. */
export default defineConfig({
  build: {
    outDir: resolve(import.meta.dirname, '../out/snippet'),
    emptyOutDir: true,
    target: 'es2019',
    minify: true,
    lib: {
      entry: resolve(import.meta.dirname, 'src/index.ts'),
      formats: ['iife'],
      name: 'ReplaydeskSnippet',
      fileName: () => 'snippet.js',
    },
  },
})

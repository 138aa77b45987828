import { resolve } from 'node:path'
import { defineConfig } from 'vite'

/** The encoder page script of `export --video`, as one IIFE. */
export default defineConfig({
  build: {
    outDir: resolve(import.meta.dirname, '../../out/standalone'),
    emptyOutDir: false,
    minify: true,
    lib: {
      entry: resolve(import.meta.dirname, 'videoEncoder.ts'),
      formats: ['iife'],
      name: 'ReplaydeskVideoEncoder',
      fileName: () => 'encoder.js',
    },
  },
})

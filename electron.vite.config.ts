import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          importWorker: resolve(import.meta.dirname, 'src/main/jobs/importWorker.ts'),
          importDecodeWorker: resolve(import.meta.dirname, 'src/main/jobs/importDecodeWorker.ts'),
          predictWorker: resolve(import.meta.dirname, 'src/main/model/predictWorker.ts'),
          trainWorker: resolve(import.meta.dirname, 'src/main/model/trainWorker.ts'),
          gradientPeerWorker: resolve(import.meta.dirname, 'src/main/model/gradientPeerWorker.ts'),
          trainingWorker: resolve(import.meta.dirname, 'src/main/training/trainingWorker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot load ES modules: emit one CommonJS file with the contract inlined.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});

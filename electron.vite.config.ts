import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';
import { WORKERS } from './src/main/workers/registry';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/app/index.ts'),
          ...Object.fromEntries(
            Object.entries(WORKERS).map(([name, file]) => [`${name}.worker`, resolve(import.meta.dirname, 'src/main', file)]),
          ),
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

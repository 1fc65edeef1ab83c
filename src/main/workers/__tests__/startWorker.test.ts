import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSourceWorker } from '../startWorker';

describe('startWorker', () => {
  it('runs a TypeScript worker from source and moves a typed array both ways', async () => {
    const w = startSourceWorker(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/echoWorker.ts'));
    const reply = await new Promise<{ labels: string[]; sum: number }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage(new Float32Array([1, 2, 3.5]));
    });
    await w.terminate();
    expect(reply).toEqual({ labels: ['COVID19', 'NORMAL', 'PNEUMONIA'], sum: 6.5 });
  });
});

describe('the worker registry', () => {
  it('names a .worker.ts file that exists for every worker, and the build emits each one', async () => {
    const { WORKERS } = await import('../registry');
    const srcMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    for (const [name, file] of Object.entries(WORKERS)) {
      expect(file, name).toMatch(/\.worker\.ts$/);
      expect(fs.existsSync(path.join(srcMain, file)), file).toBe(true);
    }
    const config = fs.readFileSync(path.resolve(srcMain, '../../electron.vite.config.ts'), 'utf8');
    expect(config).toMatch(/Object\.entries\(WORKERS\)/);
  });
});

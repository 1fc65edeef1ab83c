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

describe('heap limits of the threads that read untrusted files', () => {
  it('start the import and decode threads under their registry limits', async () => {
    const { WORKER_RESOURCE_LIMITS } = await import('../registry');
    const { startWorker } = await import('../startWorker');
    const w = startWorker('decode');
    try {
      expect(w.resourceLimits).toMatchObject(WORKER_RESOURCE_LIMITS.decode);
    } finally {
      await w.terminate();
    }
    expect(WORKER_RESOURCE_LIMITS.import.maxOldGenerationSizeMb).toBeLessThanOrEqual(1024);
  });

  it('a thread that outgrows its heap ends with an error, and this process goes on', async () => {
    const w = startSourceWorker(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/hogWorker.ts'), {
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => w.once('error', resolve));
    expect(err.code).toBe('ERR_WORKER_OUT_OF_MEMORY');
    expect(process.memoryUsage().rss).toBeLessThan(2 ** 31);
  }, 60_000);
});

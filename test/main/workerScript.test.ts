import { describe, expect, it } from 'vitest';
import { startWorker } from '../../src/main/jobs/workerScript';

describe('startWorker', () => {
  it('runs a TypeScript worker from source and moves a typed array both ways', async () => {
    const w = startWorker(import.meta.url, './fixtures/echoWorker');
    const reply = await new Promise<{ labels: string[]; sum: number }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage(new Float32Array([1, 2, 3.5]));
    });
    await w.terminate();
    expect(reply).toEqual({ labels: ['COVID19', 'NORMAL', 'PNEUMONIA'], sum: 6.5 });
  });
});

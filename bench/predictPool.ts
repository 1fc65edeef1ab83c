/**
 * A catalog prediction run through the inference host, end to end (rendering read, preprocessing,
 * the folded model, 30 MC-dropout samples, IPC back to this thread), with a pool of 1 and of 2
 * workers: img/s after a warm-up run that loads the model in every worker. Synthetic 256×256
 * renderings in a temp catalog; the shipped default model.
 * Run: npx tsx bench/predictPool.ts   (BENCH_IMAGES=256, BENCH_ROUNDS=2)
 * Prints one JSON object.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices } from '../src/main/services/services';
import { addCatalogImage } from '../test/helpers/catalogFixture';
import { defaultModelDir } from '../src/main/models/activeModel';
import { InferenceHost } from '../src/main/inference/inferenceHost';

const n = Number(process.env.BENCH_IMAGES ?? 256);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bench-pool-'));
const s = createServices({ dataDir });
const dir = defaultModelDir();
const ids: number[] = [];
for (let i = 0; i < n; i++) ids.push(await addCatalogImage(s, { width: 256, height: 256 }));
const r = (v: number): number => Math.round(v * 10) / 10;
const runs: { workers: number; imgPerS: number; items: number }[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const workers of [1, 2]) {
      const host = new InferenceHost(s, workers);
      try {
        await host.predict(dir, ids.slice(0, 32 * workers), () => {}).result; // loads the model in each worker
        let items = 0;
        const t = performance.now();
        await host.predict(dir, ids, (b) => (items += b.length)).result;
        runs.push({ workers: (await host.size()), imgPerS: r((n * 1000) / (performance.now() - t)), items });
      } finally {
        await host.close();
      }
    }
  }
} finally {
  await s.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ images: n, cpus: os.availableParallelism(), loadAverage: os.loadavg().map(r), runs }));

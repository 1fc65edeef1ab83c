/**
 * Training speed on real images with one wasm backend and with a gradient peer (data-parallel on
 * two cores, gradientPeer.ts): one epoch of a cxr3 train subsample per architecture and worker
 * count, through trainModel itself (augmentation, loss, Adam, val pass). Prints one JSON object.
 * Run: npx tsx bench/trainWorkers.ts   (BENCH_ARCHS=zhongSlim to skip the slow one)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listSamples } from '../src/main/datasets/dataset';
import { chestRecipe, paperRecipe } from '../src/main/training/recipe';
import { trainModel } from '../src/main/training/trainModel';
import type { ArchitectureName } from '../src/main/models/architectures';

process.env.CXR_BACKEND ??= 'wasm';
const data = path.resolve(import.meta.dirname, '../../shared/data/cxr3');
const train = listSamples(data, 'train');
const val = listSamples(data, 'val').slice(0, 64);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bench-workers-'));
const archs = (process.env.BENCH_ARCHS?.split(',') ?? ['cxrResNet', 'zhongSlim', 'zhong2020']) as ArchitectureName[];
const out: Record<string, Record<string, number>> = {};
try {
  for (const arch of archs) {
    out[arch] = {};
    for (const workers of [1, 2]) {
      process.stderr.write(`bench: ${arch}, ${workers} worker(s)…\n`);
      const maxTrainImages = arch === 'zhong2020' ? 192 : 640;
      // Each architecture with the recipe it trains by: the default with the chest recipe.
      const recipe =
        arch === 'cxrResNet'
          ? chestRecipe(arch, { epochs: 1, maxTrainImages, seed: 3, sampling: { kind: 'balanced', epochSize: maxTrainImages, sourcePower: 0 } })
          : paperRecipe(arch, { epochs: 1, maxTrainImages, seed: 3 });
      const r = await trainModel({ train, val }, { recipe, outDir: path.join(dir, `${arch}-${workers}`), workers, checkpoints: false });
      out[arch][`workers${workers}`] = Math.round(r.history[0]!.imgPerS * 10) / 10;
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ backend: process.env.CXR_BACKEND, cpus: os.availableParallelism(), loadAverage1m: Math.round(os.loadavg()[0]! * 10) / 10, trainImgPerS: out }));

/**
 * Cost of the confidence parts on the active backend, per architecture with random weights at
 * batch 16: plain inference, the calibrated prediction with its MC-dropout band (30 samples, only
 * the layers after the first dropout re-run), the TTA band (16 full passes), and one Grad-CAM.
 * Run: npx tsx bench/confidence.ts   (BENCH_ARCHS=zhongSlim to skip the paper's model)
 * Prints one JSON object as the last line.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { ARCHITECTURES, type ArchitectureName } from '../src/main/models/architectures';
import { Predictor } from '../src/main/inference/predictor';

const B = 16;

async function time(n: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  return (performance.now() - t) / n;
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const archs = (process.env.BENCH_ARCHS?.split(',') ?? Object.keys(ARCHITECTURES)) as ArchitectureName[];
  const out: Record<string, unknown> = { backend: backend.name, batch: B };
  for (const name of archs) {
    const a = ARCHITECTURES[name];
    const model = a.build();
    const card = { inputSize: a.inputSize, channels: a.channels as 1 | 3 };
    const mc = new Predictor(model, card, { nSamples: 30 });
    const tta = new Predictor(model, card, { nSamples: 16, method: 'tta' });
    const inputs = Array.from({ length: B }, (_, i) => Float32Array.from({ length: a.inputSize * a.inputSize * a.channels }, (_, j) => ((i * 7919 + j) % 255) / 255));
    const qual = inputs.map(() => null);
    const x = mc.batch(inputs);
    const plainMs = await time(3, async () => tf.dispose(model.predict(x) as tf.Tensor));
    x.dispose();
    const mcMs = await time(2, () => mc.predict(inputs, qual));
    const ttaMs = name === 'zhong2020' ? NaN : await time(1, () => tta.predict(inputs, qual));
    const camMs = await time(2, () => mc.heatmap(inputs[0]!));
    out[name] = {
      plainImgPerS: (1000 * B) / plainMs,
      mcDropout30ImgPerS: (1000 * B) / mcMs,
      tta16ImgPerS: (1000 * B) / ttaMs,
      gradCamMs: camMs,
    };
    process.stderr.write(`${name}: ${JSON.stringify(out[name])}\n`);
    model.dispose();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();

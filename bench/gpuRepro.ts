/**
 * The paper's faithful reproduction (zhong2020, paper recipe, cxr3 train, selected on cxr3 val) on
 * a lent GPU machine, which has neither the data nor sharp. Two halves:
 *   here:  tsx bench/gpuRepro.ts pack <file>        decodes cxr3 train (96², the augmentation size)
 *                                                     and val (80²) with the shared preprocessing
 *   there: node gpuRepro.mjs train <file> <outDir>   trains with src/main/model/train.ts on the
 *                                                     active backend (CXR_BACKEND=webgpu)
 * REPRO_DEADLINE_S bounds the run (no epoch starts that would end after it). Prints a JSON line per
 * epoch, then one JSON object with the card's history and best-epoch val metrics as the last line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LABELS } from '../src/shared/labels';
import { ARCHITECTURES } from '../src/main/models/architectures';
import { listSamples, type Sample } from '../src/main/datasets/dataset';
import { buildImageCache, type ImageCache } from '../src/main/datasets/imageCache';
import { paperRecipe } from '../src/main/training/recipe';
import { trainModel } from '../src/main/training/trainModel';

const ARCH = 'zhong2020';
const MAGIC = 'CXRPACK1';

interface PackHeader {
  data: string;
  train: { size: number; samples: Sample[] };
  val: { size: number; samples: Sample[] };
}

/** MAGIC, header length (u32 LE), header JSON, train pixels, val pixels. Labels come from the samples. */
function writePack(file: string, header: PackHeader, train: ImageCache, val: ImageCache): void {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  fs.writeFileSync(file, Buffer.concat([Buffer.from(MAGIC), len, json, train.pixels, val.pixels]));
}

function readPack(file: string): { header: PackHeader; train: ImageCache; val: ImageCache } {
  const buf = fs.readFileSync(file);
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error(`${file}: not a ${MAGIC} pack`);
  const len = buf.readUInt32LE(MAGIC.length);
  let o = MAGIC.length + 4;
  const header = JSON.parse(buf.subarray(o, o + len).toString()) as PackHeader;
  o += len;
  const cache = (part: PackHeader['train']): ImageCache => {
    const bytes = part.samples.length * part.size * part.size;
    if (o + bytes > buf.length) throw new Error(`${file}: truncated (${buf.length} bytes)`);
    const pixels = new Uint8Array(buf.buffer, buf.byteOffset + o, bytes);
    o += bytes;
    return {
      size: part.size,
      count: part.samples.length,
      pixels,
      labels: Uint8Array.from(part.samples, (s) => LABELS.indexOf(s.label)),
      sources: part.samples.map((s) => s.source),
      files: part.samples.map((s) => s.file),
    };
  };
  const train = cache(header.train);
  const val = cache(header.val);
  if (o !== buf.length) throw new Error(`${file}: ${buf.length - o} bytes left over`);
  return { header, train, val };
}

const [mode, file, outDir] = process.argv.slice(2);
const recipe = paperRecipe(ARCH, { classWeights: 'paper', seed: 1 });
if (mode === 'pack' && file) {
  const data = path.resolve(process.env.REPRO_DATA ?? '../shared/data/cxr3');
  // File names relative to the data folder: the pack carries no paths of this machine.
  const rel = (ss: Sample[]): Sample[] => ss.map((s) => ({ ...s, file: path.relative(data, s.file) }));
  const train = listSamples(data, 'train');
  const val = listSamples(data, 'val');
  const progress = (split: string) => (done: number, total: number) => process.stderr.write(`\rdecoding ${split} ${done}/${total}`);
  const trainCache = await buildImageCache(train, recipe.augment.resize, { onProgress: progress('train') });
  const valCache = await buildImageCache(val, ARCHITECTURES[ARCH].inputSize, { onProgress: progress('val') });
  process.stderr.write('\n');
  writePack(
    file,
    { data: path.basename(data), train: { size: trainCache.size, samples: rel(train) }, val: { size: valCache.size, samples: rel(val) } },
    trainCache,
    valCache,
  );
  console.log(JSON.stringify({ pack: file, bytes: fs.statSync(file).size, train: train.length, val: val.length }));
} else if (mode === 'train' && file && outDir) {
  const { header, train, val } = readPack(file);
  const deadlineS = Number(process.env.REPRO_DEADLINE_S ?? 0);
  const t0 = Date.now();
  const result = await trainModel(
    { train: header.train.samples, val: header.val.samples, caches: { train, val } },
    { recipe, outDir, checkpoints: false, name: `${ARCH} paper reproduction`, ...(deadlineS > 0 ? { deadline: t0 + deadlineS * 1000 } : {}) },
    {
      onEvent: (e) => {
        if (e.type === 'epoch') console.log(JSON.stringify({ ...e.record, best: e.best, valRecall: e.valRecall, backend: e.backend }));
        else if (e.type === 'batch' && (e.batch === 1 || e.batch % 40 === 0)) {
          process.stderr.write(`epoch ${e.epoch + 1} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(3)} ${e.imgPerS.toFixed(0)} img/s\n`);
        }
      },
    },
  );
  const card = result.card;
  console.log(
    JSON.stringify({
      status: result.status,
      stoppedEarly: result.stoppedEarly ?? false,
      seconds: Math.round((Date.now() - t0) / 1000),
      backend: card?.backend,
      recipe,
      bestEpoch: card?.bestEpoch,
      history: result.history,
      valMetrics: card?.valMetrics,
    }),
  );
} else {
  console.error('usage: gpuRepro.ts pack <file> | gpuRepro.ts train <file> <outDir>');
  process.exitCode = 2;
}

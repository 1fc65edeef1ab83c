/**
 * Finds the same radiograph under two labels or in two splits across the training sets, the way
 * the data READMEs found theirs: a 256-bit difference hash (grayscale, 17×16 Lanczos, each pixel
 * against its right neighbour); two images match when at most MAX_BITS bits differ (copies after
 * resizing and re-encoding were 0-9 bits apart there, different films 15 or more).
 * Run: npx tsx scripts/findLabelConflicts.ts ../shared/data/cxr3 ../shared/data/adult ../shared/data/nih
 * Prints one JSON object: the matching pairs whose label or split differ. It informs
 * resources/training/exclusions.csv; it does not write it.
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { listSamplesFrom } from '../src/main/datasets/dataset';

const MAX_BITS = 12;

async function dhash(file: string): Promise<Uint32Array> {
  const { data } = await sharp(file).grayscale().resize(17, 16, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  const h = new Uint32Array(8);
  let bit = 0;
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++, bit++) if (data[y * 17 + x]! > data[y * 17 + x + 1]!) h[bit >> 5]! |= 1 << (bit & 31);
  return h;
}

const popcount = (v: number): number => {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

async function main(): Promise<void> {
  const roots = process.argv.slice(2);
  const samples = [...listSamplesFrom(roots, 'train'), ...listSamplesFrom(roots, 'val')].map((s, i) => ({ ...s, i, split: i < 0 ? '' : '' }));
  const train = listSamplesFrom(roots, 'train').length;
  samples.forEach((s, i) => (s.split = i < train ? 'train' : 'val'));
  const hashes: Uint32Array[] = new Array(samples.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: os.availableParallelism() * 2 }, async () => {
      while (next < samples.length) {
        const i = next++;
        hashes[i] = await dhash(samples[i]!.file);
      }
    }),
  );
  const pairs: { a: string; b: string; bits: number; labels: string; splits: string }[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      let d = 0;
      for (let w = 0; w < 8 && d <= MAX_BITS; w++) d += popcount(hashes[i]![w]! ^ hashes[j]![w]!);
      if (d > MAX_BITS) continue;
      const a = samples[i]!;
      const b = samples[j]!;
      if (a.label === b.label && a.split === b.split) continue;
      const rel = (s: typeof a) => path.relative(path.dirname(path.dirname(path.dirname(path.dirname(s.file)))), s.file);
      pairs.push({ a: `${a.source}/${rel(a)}`, b: `${b.source}/${rel(b)}`, bits: d, labels: `${a.label}/${b.label}`, splits: `${a.split}/${b.split}` });
    }
  }
  console.log(JSON.stringify({ images: samples.length, maxBits: MAX_BITS, pairs }));
}

void main();

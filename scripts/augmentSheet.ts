/**
 * A contact sheet of the default recipe's augmentation, to look at: each row one training image
 * (from each shared set and class), the first column what inference sees (the whole image at the
 * input size), then augmented draws.
 * Run: npx tsx scripts/augmentSheet.ts <out.png> [draws]
 */
import path from 'node:path';
import sharp from 'sharp';
import { listSamplesFrom } from '../src/main/datasets/dataset';
import { buildImageCache } from '../src/main/datasets/imageCache';
import { augmentSampleInto } from '../src/main/training/augment';
import { chestRecipe } from '../src/main/training/recipe';
import { seededRandom } from '../src/main/training/seededRandom';
import { resizeGray } from '../src/main/models/preprocess';

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'augment-sheet.png');
  const draws = Number(process.argv[3] ?? 7);
  const data = ['cxr3', 'adult', 'nih'].map((d) => path.resolve('..', 'shared', 'data', d));
  const all = listSamplesFrom(data, 'train');
  const rows = ['cxr3|COVID19', 'cxr3|NORMAL', 'cxr3|PNEUMONIA', 'adult|COVID19', 'adult|NORMAL', 'nih|NORMAL', 'nih|PNEUMONIA'].map(
    (k) => all.find((s) => `${s.source}|${s.label}` === k && all.indexOf(s) % 7 === 3) ?? all.find((s) => `${s.source}|${s.label}` === k)!,
  );
  const recipe = chestRecipe('cxrResNet');
  const aug = recipe.augment;
  const cache = await buildImageCache(rows, aug.resize, { jpegQuality: aug.kind === 'chest' ? aug.jpeg.quality : undefined });
  const C = aug.crop;
  const cols = draws + 1;
  const sheet = new Uint8Array(rows.length * C * cols * C);
  const rand = seededRandom(5);
  for (let r = 0; r < rows.length; r++) {
    const whole = await resizeGray(rows[r]!.file, C);
    for (let y = 0; y < C; y++) sheet.set(whole.subarray(y * C, (y + 1) * C), (r * C + y) * cols * C);
    for (let d = 0; d < draws; d++) {
      const buf = new Float32Array(C * C);
      augmentSampleInto(cache, r, aug, rand, 1, buf, 0);
      for (let y = 0; y < C; y++) for (let x = 0; x < C; x++) sheet[(r * C + y) * cols * C + (d + 1) * C + x] = Math.round(buf[y * C + x]! * 255);
    }
  }
  await sharp(sheet, { raw: { width: cols * C, height: rows.length * C, channels: 1 } }).png().toFile(out);
  console.log(JSON.stringify({ out, rows: rows.map((s) => `${s.source}/${s.label}/${path.basename(s.file)}`) }));
}

void main();

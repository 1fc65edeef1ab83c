/**
 * Training curves from a model card's history: train loss and val loss per source (left), train
 * accuracy and val balanced accuracy per source (right), per epoch, the best epoch marked.
 * Run: npx tsx scripts/plotCurves.ts <model dir | checkpoint dir> <out.svg>   (also writes out.png beside it;
 * a running training's checkpoint folder, <out>.checkpoint/last, works too)
 */
import fs from 'node:fs';
import sharp from 'sharp';
import path from 'node:path';
import { readCard, type EpochRecord } from '../src/main/models/card';

const W = 460;
const H = 300;
const PAD = 44;
const COLORS = ['#222', '#c0392b', '#2471a3', '#1e8449', '#8e44ad'];

function panel(x0: number, title: string, series: { name: string; ys: number[] }[], epochs: number, best: number, yMax: number): string {
  const LEGEND = 80;
  const sx = (e: number) => x0 + PAD + (e / Math.max(1, epochs - 1)) * (W - 2 * PAD - LEGEND);
  const sy = (v: number) => H - PAD - (Math.min(v, yMax) / yMax) * (H - 2 * PAD);
  const parts = [`<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-size="13">${title}</text>`];
  parts.push(`<line x1="${x0 + PAD}" y1="${H - PAD}" x2="${x0 + W - PAD - LEGEND}" y2="${H - PAD}" stroke="#888"/><line x1="${x0 + PAD}" y1="${PAD}" x2="${x0 + PAD}" y2="${H - PAD}" stroke="#888"/>`);
  for (let t = 0; t <= 4; t++) parts.push(`<text x="${x0 + PAD - 4}" y="${sy((yMax * t) / 4) + 4}" text-anchor="end" font-size="10">${((yMax * t) / 4).toFixed(2)}</text>`);
  for (let e = 0; e < epochs; e++) parts.push(`<text x="${sx(e)}" y="${H - PAD + 14}" text-anchor="middle" font-size="10">${e + 1}</text>`);
  parts.push(`<line x1="${sx(best)}" y1="${PAD}" x2="${sx(best)}" y2="${H - PAD}" stroke="#aaa" stroke-dasharray="4 3"/>`);
  series.forEach((s, i) => {
    const pts = s.ys.map((v, e) => `${sx(e).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" ${i === 0 ? 'stroke-dasharray="6 3"' : ''} points="${pts}"/>`);
    parts.push(`<text x="${x0 + W - PAD - LEGEND + 8}" y="${PAD + 14 * i}" font-size="11" fill="${COLORS[i % COLORS.length]}">${s.name}</text>`);
  });
  return parts.join('\n');
}

async function main(): Promise<void> {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) throw new Error('usage: plotCurves.ts <model dir> <out.svg>');
  // A run still training has no card yet: its checkpoint state holds the same history.
  const state = path.join(dir, 'state.json');
  const card = fs.existsSync(state)
    ? { name: 'training (checkpoint)', ...(JSON.parse(fs.readFileSync(state, 'utf8')) as { history: EpochRecord[]; bestEpoch: number }) }
    : readCard(dir);
  const h = card.history;
  const sources = Object.keys(h[0]?.valBySource ?? {});
  const loss = [{ name: 'train', ys: h.map((r) => r.loss) }, ...sources.map((s) => ({ name: `val ${s}`, ys: h.map((r) => r.valBySource![s]!.loss) }))];
  const acc = [{ name: 'train acc', ys: h.map((r) => r.accuracy) }, ...sources.map((s) => ({ name: `val ${s}`, ys: h.map((r) => r.valBySource![s]!.balancedAccuracy) }))];
  const yMax = Math.min(3, Math.max(...loss.flatMap((s) => s.ys)) * 1.05);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W + 60}" height="${H}" font-family="DejaVu Sans, sans-serif">
<rect width="100%" height="100%" fill="white"/>
${panel(0, `${card.name}: loss (train: label-smoothed)`, loss, h.length, card.bestEpoch, yMax)}
${panel(W + 60, 'accuracy (val: balanced, per source)', acc, h.length, card.bestEpoch, 1)}
</svg>`;
  fs.writeFileSync(out, svg);
  await sharp(Buffer.from(svg)).png().toFile(out.replace(/\.svg$/, '.png'));
  console.log(JSON.stringify({ svg: out, epochs: h.length, best: card.bestEpoch + 1, sources }));
}

void main();

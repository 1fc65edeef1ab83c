/**
 * Markdown tables from `cxr eval --json --probe` outputs, one row per (split, model): accuracy,
 * recall per class, the COVID-19 flag at the card's operating point (or argmax where the card has
 * none), how many normals and pneumonias are called COVID-19, ECE raw → calibrated, and the probe's
 * flip rates. For the README and the model notes: figures beside each other, not retyped.
 * Usage: npx tsx scripts/evalTable.ts <label>=<dir with eval-{split}.json or {split}.json> ...
 */
import fs from 'node:fs';
import path from 'node:path';

type Eval = {
  n: number;
  labels: string[];
  accuracy: number;
  confusion: number[][];
  perClass: Record<string, { recall: number }>;
  flag: { threshold: number; sensitivity: number | null; specificity: number | null } | null;
  confidence: {
    eceBefore: number;
    eceAfter: number;
    probe?: { perturbations: Record<string, { flipRate: number }>; lungCentreMinusBorders: number };
  };
};

const SPLITS = ['cxr3', 'adult', 'nih'];
const pct = (x: number | null | undefined): string => (x == null ? '–' : (100 * x).toFixed(1));
const f3 = (x: number | null | undefined): string => (x == null ? '–' : x.toFixed(3));

function read(dir: string, split: string): Eval | null {
  for (const name of [`eval-${split}.json`, `${split}.json`]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Eval;
  }
  return null;
}

/** Row `truth` of the confusion matrix: how many of that class were called COVID-19, of how many. */
function calledCovid(e: Eval, truth: string): string {
  const row = e.confusion[e.labels.indexOf(truth)];
  const n = row?.reduce((a, b) => a + b, 0) ?? 0;
  return n ? `${row![e.labels.indexOf('COVID19')]}/${n}` : '–';
}

const models = process.argv.slice(2).map((a) => {
  const [label, dir] = a.split('=');
  if (!label || !dir) throw new Error(`expected <label>=<dir>, got ${a}`);
  return { label, dir };
});

const rows: string[] = [
  '| split | model | n | accuracy | recall C / N / P | flag sens / spec (threshold) | N → C | P → C | ECE raw → cal |',
  '|---|---|---|---|---|---|---|---|---|',
];
const probe: string[] = [
  '| split | model | mask-borders | mask-lung-centre | corner-text | corner-marker | letterbox-4:3 | downscale-upscale | crop-to-3:4 |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const split of SPLITS) {
  for (const { label, dir } of models) {
    const e = read(dir, split);
    if (!e) continue;
    const r = (c: string): string => (e.perClass[c] && e.confusion[e.labels.indexOf(c)]!.some((v) => v > 0) ? f3(e.perClass[c]!.recall) : '–');
    const flag = e.flag ? `${f3(e.flag.sensitivity)} / ${f3(e.flag.specificity)} (${e.flag.threshold.toFixed(3)})` : 'argmax only';
    rows.push(`| ${split} | ${label} | ${e.n} | ${f3(e.accuracy)} | ${r('COVID19')} / ${r('NORMAL')} / ${r('PNEUMONIA')} | ${flag} | ${calledCovid(e, 'NORMAL')} | ${calledCovid(e, 'PNEUMONIA')} | ${f3(e.confidence.eceBefore)} → ${f3(e.confidence.eceAfter)} |`);
    const p = e.confidence.probe?.perturbations;
    if (p) {
      const k = ['mask-borders', 'mask-lung-centre', 'corner-text', 'corner-marker', 'letterbox-4:3', 'downscale-upscale', 'crop-to-3:4'];
      probe.push(`| ${split} | ${label} | ${k.map((x) => pct(p[x]?.flipRate)).join(' | ')} |`);
    }
  }
}
console.log(rows.join('\n'));
console.log('\nProbe flip rates (% of predictions that change class):\n');
console.log(probe.join('\n'));

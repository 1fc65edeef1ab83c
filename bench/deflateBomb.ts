/**
 * Deflate bombs: peak RSS and wall time of `cxr import` (a child process) on a folder of three
 * 0.5 MB Deflated Explicit VR files whose datasets each inflate to ~520 MB, and the error rows.
 * Run: npx tsx bench/deflateBomb.ts   (BENCH_BOMBS=3). Prints one JSON object as the last line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDeflateBomb } from '../test/reliability/deflateBomb';

const ROOT = path.resolve(import.meta.dirname, '..');
const N = Number(process.env.BENCH_BOMBS ?? 3);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bench-bomb-'));
try {
  const folder = path.join(tmp, 'bombs');
  fs.mkdirSync(folder);
  for (let i = 0; i < N; i++) await writeDeflateBomb(path.join(folder, `bomb${i}.dcm`), `1.2.826.0.1.3680043.9.7777.${i + 1}`);
  const fileBytes = fs.readdirSync(folder).reduce((n, f) => n + fs.statSync(path.join(folder, f)).size, 0);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', './test/helpers/reportMaxRss.mjs', 'src/cli/index.ts', 'import', folder, '--db', path.join(tmp, 'c.sqlite'), '--data-dir', tmp, '--json'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const rss = Number(/MAX_RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  let summary: { errorCount?: number; errors?: { reason: string }[]; status?: string } = {};
  try {
    summary = JSON.parse(r.stdout);
  } catch {
    process.stderr.write(r.stdout + r.stderr);
  }
  console.log(
    JSON.stringify({
      bombs: N,
      fileBytes,
      exitCode: r.status,
      peakRssMb: Math.round(rss / 1024),
      seconds: Number(seconds.toFixed(1)),
      status: summary.status,
      errorRows: summary.errorCount,
      reasons: summary.errors?.map((e) => e.reason),
    }),
  );
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

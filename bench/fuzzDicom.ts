/**
 * The long DICOM fuzz run: every sample in ../shared/data/dicom (or the small ones with
 * --small), mutated with a fixed seed and run through the import's per-file entry. Prints one
 * JSON object; exits 1 on an uncaught exception, a hang, an untyped failure or RSS over 2 GB.
 *
 *   npx tsx bench/fuzzDicom.ts [--cases 20000] [--seed 1] [--small] [--deadline-ms 10000]
 *
 * DICOM pixel data decodes in a one-thread DecodePool, as in the app, so a codec caught in an
 * endless loop is stopped at the deadline and listed under stoppedByDeadline rather than hanging the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { DecodePool } from '../src/main/import/decodePool';
import { loadSample, runFuzz } from '../test/reliability/dicomMutations';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '20000' }, seed: { type: 'string', default: '1' }, small: { type: 'boolean', default: false }, 'deadline-ms': { type: 'string', default: '10000' } },
});
const dir = path.resolve(import.meta.dirname, '../../shared/data/dicom');
const SMALL = new Set(['CT_small.dcm', 'MR_small_RLE.dcm', 'SC_rgb_jpeg_dcmtk.dcm', 'SC_rgb_jpeg_lossy_gdcm.dcm', 'image_dfl.dcm']);
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.dcm') && (!values.small || SMALL.has(f)))
  .sort();
const samples = files.map((f) => loadSample(path.join(dir, f)));
// Big files cost up to a second a case: weight by inverse size so the run still covers every codec.
const weights = samples.map((s) => 1 / Math.max(1, Math.log2(s.bytes.length / 4096)));
const cases = Number(values.cases);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-fuzz-bench-'));
// Decode as the app does: in the pool's worker threads, where a codec that never returns is stopped.
const pool = new DecodePool(1, Number(values['deadline-ms']));
let last = Date.now();
const report = await runFuzz({
  renderDicom: (file, raw) => pool.render(file, raw, dataDir),
  hangMs: Number(values['deadline-ms']) + 20_000,
  samples,
  weights,
  cases,
  seed: Number(values.seed),
  onCase: (i) => {
    if (Date.now() - last > 10_000) {
      last = Date.now();
      process.stderr.write(`fuzz: ${i + 1}/${cases}\n`);
    }
  },
});
await pool.close();
fs.rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ samples: files, ...report })}\n`);
const failed = report.uncaught.length > 0 || report.hangs.length > 0 || report.untyped.length > 0 || report.maxRssMb >= 2048;
process.exitCode = failed ? 1 : 0;

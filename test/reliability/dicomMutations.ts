/**
 * Seeded mutations of real DICOM files for fuzzing the import's decode path: bit flips, truncations,
 * corrupted length fields (element and fragment item lengths, found by parsing the original) and
 * overwritten byte runs. Shared by test/reliability/fuzzDicom.test.ts and bench/fuzzDicom.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDicom } from '../../src/main/imaging/dicom/parseDicom';
import { importFile, type FileOutcome, type ImportFileContext } from '../../src/main/import/importFile';
import { mulberry32 } from '../security/hostilePayloads';

export { mulberry32 };

/** Where a length field sits in the file, and how wide it is. */
interface LengthField {
  at: number;
  width: 2 | 4;
  /** Where the value it measures starts. */
  dataOffset: number;
  value: number;
}

export interface FuzzSample {
  name: string;
  bytes: Uint8Array;
  lengths: LengthField[];
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OV', 'SV', 'UV']);

/** Reads a file and finds its top-level element and fragment item length fields. */
export function loadSample(file: string): FuzzSample {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const lengths: LengthField[] = [];
  try {
    const ds = parseDicom(bytes, file);
    const ts = (ds.string('x00020010') ?? '').replace(/\0/g, '').trim();
    const deflated = ts === '1.2.840.10008.1.2.1.99';
    for (const [tag, el] of Object.entries(ds.elements)) {
      // A deflated dataset's offsets point into the inflated bytes: only its meta header is in the file.
      if (deflated && !tag.startsWith('x0002')) continue;
      const explicit = el.vr !== undefined;
      const width: 2 | 4 = explicit && !LONG_VRS.has(el.vr!) ? 2 : 4;
      const value = el.hadUndefinedLength ? 0xffffffff : el.length;
      lengths.push({ at: el.dataOffset - width, width, dataOffset: el.dataOffset, value });
      for (const f of el.fragments ?? []) lengths.push({ at: f.position - 4, width: 4, dataOffset: f.position, value: f.length });
    }
  } catch {
    // An unparseable sample still takes bit flips and truncations.
  }
  return { name: path.basename(file), bytes, lengths };
}

export type MutationKind = 'bitflip' | 'truncate' | 'length' | 'overwrite' | 'combo';

export interface Mutation {
  kind: MutationKind;
  bytes: Uint8Array;
  /** Replays the case: what was done, where. */
  detail: string;
}

function flipBits(b: Uint8Array, rand: () => number): string {
  const n = 1 + Math.floor(rand() * 16);
  const headerEnd = Math.min(b.length, 4096);
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    // Most flips land in the header, where a flip changes meaning rather than a pixel.
    const pos = rand() < 0.6 ? Math.floor(rand() * headerEnd) : Math.floor(rand() * b.length);
    b[pos]! ^= 1 << Math.floor(rand() * 8);
    at.push(pos);
  }
  return `flip@${at.slice(0, 4).join(',')}${at.length > 4 ? '…' : ''}`;
}

function corruptLength(b: Uint8Array, s: FuzzSample, rand: () => number): string {
  if (s.lengths.length === 0) return flipBits(b, rand);
  const f = s.lengths[Math.floor(rand() * s.lengths.length)]!;
  const max = f.width === 2 ? 0xffff : 0xffffffff;
  const choices = [0, 1, 2, 3, max, max - 1, 0x7fffffff, f.value + 1, f.value - 1, f.value * 2, f.value >>> 1, b.length - f.dataOffset + 2, Math.floor(rand() * max)];
  const v = Math.max(0, Math.min(max, choices[Math.floor(rand() * choices.length)]!)) >>> 0;
  if (f.at < 0 || f.at + f.width > b.length) return flipBits(b, rand);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (f.width === 2) dv.setUint16(f.at, v, true);
  else dv.setUint32(f.at, v, true);
  return `length@${f.at}=${v}`;
}

function overwrite(b: Uint8Array, rand: () => number): string {
  const len = 1 + Math.floor(rand() * 64);
  const pos = Math.floor(rand() * Math.max(1, b.length - len));
  const fill = [0x00, 0xff, -1][Math.floor(rand() * 3)]!;
  for (let i = pos; i < Math.min(b.length, pos + len); i++) b[i] = fill < 0 ? Math.floor(rand() * 256) : fill;
  return `overwrite@${pos}+${len}=${fill < 0 ? 'rand' : fill}`;
}

/** One seeded mutation of a sample. */
export function mutate(s: FuzzSample, rand: () => number): Mutation {
  const r = rand();
  const b = s.bytes.slice();
  if (r < 0.35) return { kind: 'bitflip', bytes: b, detail: flipBits(b, rand) };
  if (r < 0.5) {
    const at = Math.floor(rand() * b.length);
    return { kind: 'truncate', bytes: b.subarray(0, at), detail: `truncate@${at}` };
  }
  if (r < 0.8) return { kind: 'length', bytes: b, detail: corruptLength(b, s, rand) };
  if (r < 0.9) return { kind: 'overwrite', bytes: b, detail: overwrite(b, rand) };
  const first = corruptLength(b, s, rand);
  const second = flipBits(b, rand);
  const at = rand() < 0.5 ? b.length : Math.floor(rand() * b.length);
  return { kind: 'combo', bytes: b.subarray(0, at), detail: `${first} ${second} truncate@${at}` };
}

export interface FuzzReport {
  seed: number;
  cases: number;
  seconds: number;
  byKind: Record<string, number>;
  bySample: Record<string, number>;
  outcomes: Record<string, number>;
  /** Failures no wrapper foresaw ("import failed: …"): still an error row, but untyped. */
  untyped: { sample: string; detail: string; reason: string }[];
  hangs: { sample: string; detail: string }[];
  /** Decodes the decode pool's deadline stopped (a codec spinning): handled, but worth a look. */
  stoppedByDeadline: { sample: string; detail: string }[];
  uncaught: string[];
  maxRssMb: number;
  slowestMs: number;
}

/**
 * Runs `cases` mutations through the import's per-file entry (importFile: sniff, parse, screen,
 * decode, render, store), one at a time, each with a hang limit. Never throws on a bad case; the
 * report says what happened.
 */
export async function runFuzz(opts: {
  samples: FuzzSample[];
  weights?: number[];
  cases: number;
  seed: number;
  hangMs?: number;
  onCase?: (i: number) => void;
  /** The app's decode pool (worker threads with a deadline); in this thread when absent. */
  renderDicom?: ImportFileContext['renderDicom'];
}): Promise<FuzzReport> {
  const rand = mulberry32(opts.seed);
  const hangMs = opts.hangMs ?? 5_000;
  const weights = opts.weights ?? opts.samples.map(() => 1);
  const totalWeight = weights.reduce((a, w) => a + w, 0);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-fuzz-'));
  const caseFile = path.join(dataDir, 'case.dcm');
  const report: FuzzReport = { seed: opts.seed, cases: 0, seconds: 0, byKind: {}, bySample: {}, outcomes: {}, untyped: [], hangs: [], stoppedByDeadline: [], uncaught: [], maxRssMb: 0, slowestMs: 0 };
  const onUncaught = (err: unknown) => report.uncaught.push(err instanceof Error ? err.message : String(err));
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  let deadlineHit = false;
  const renderDicom = opts.renderDicom
    ? async (file: string, raw: boolean) => {
        const o = await opts.renderDicom!(file, raw);
        if (!o.ok && o.reason.startsWith('decoding took over')) deadlineHit = true;
        return o;
      }
    : undefined;
  const started = performance.now();
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  try {
    for (let i = 0; i < opts.cases; i++) {
      let pick = rand() * totalWeight;
      let si = 0;
      while (si < weights.length - 1 && pick >= weights[si]!) pick -= weights[si++]!;
      const sample = opts.samples[si]!;
      const m = mutate(sample, rand);
      fs.writeFileSync(caseFile, m.bytes);
      const t = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome: FileOutcome | 'hang' = await Promise.race([
        importFile({ path: caseFile, root: dataDir, size: m.bytes.length }, { dataDir, labelsFromFolders: false, claim: () => true, renderDicom }),
        new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), hangMs))),
      ]);
      clearTimeout(timer);
      report.slowestMs = Math.max(report.slowestMs, Math.round(performance.now() - t));
      report.cases++;
      bump(report.byKind, m.kind);
      bump(report.bySample, sample.name);
      if (outcome === 'hang') {
        report.hangs.push({ sample: sample.name, detail: m.detail });
        bump(report.outcomes, 'hang');
      } else {
        const label =
          outcome.kind === 'record' ? (outcome.record.image.exclusion ? `excluded:${outcome.record.image.exclusion}` : 'eligible') : outcome.kind;
        bump(report.outcomes, label);
        const reason = outcome.kind === 'error' ? outcome.reason : outcome.kind === 'record' ? outcome.error : undefined;
        if (deadlineHit) report.stoppedByDeadline.push({ sample: sample.name, detail: m.detail });
        deadlineHit = false;
        if (reason?.startsWith('import failed:') || reason?.startsWith('pixel data could not be rendered:')) {
          if (report.untyped.length < 50) report.untyped.push({ sample: sample.name, detail: m.detail, reason });
        }
      }
      if (i % 25 === 0) report.maxRssMb = Math.max(report.maxRssMb, Math.round(process.memoryUsage().rss / 2 ** 20));
      opts.onCase?.(i);
    }
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    report.maxRssMb = Math.max(report.maxRssMb, Math.round(process.memoryUsage().rss / 2 ** 20));
    report.seconds = Math.round(performance.now() - started) / 1000;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return report;
}

/**
 * Import speed: files/s for 500 JPEGs from cxr3 through the whole import (sniff, hash, decode,
 * rendering + thumbnail PNGs, batched catalog writes), and for each DICOM transfer syntax
 * through the per-file path (parse, decode, pixel pipeline, rendering + thumbnail), on copies
 * of the sample files in a temp folder, decoded in the import's thread pool as an import does.
 * Every DICOM copy is decoded (no dedupe shortcut), and renderings are written cold.
 * Run: npm run bench:import   (BENCH_JPEGS=500 BENCH_DICOM_COPIES=8)
 * Prints one JSON object as the last line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCatalog } from '../src/main/catalog/openCatalog';
import { runImport } from '../src/main/import/importRun';
import { importFile } from '../src/main/import/importFile';
import { DecodePool } from '../src/main/import/decodePool';
import { parseDicom } from '../src/main/imaging/dicom/parseDicom';
import { readDicomTags } from '../src/main/imaging/dicom/dicomTags';
import { transferSyntaxInfo } from '../src/main/imaging/dicom/transferSyntax';

const SHARED = path.resolve(import.meta.dirname, '../../shared/data');
const JPEGS = Number(process.env.BENCH_JPEGS ?? 500);
const COPIES = Number(process.env.BENCH_DICOM_COPIES ?? 8);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bench-import-'));
const log = (m: string) => process.stderr.write(`${m}\n`);
/** Process CPU time (all threads, sharp's and the pool's included), in seconds: unlike wall time it does not depend on what else the machine runs. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** What files/s would be on `cores` idle cores if the work spread perfectly: an upper bound, labelled as such. */
const projected = (files: number, cpu: number, cores = os.availableParallelism()) => Number(((files / cpu) * cores).toFixed(1));

try {
  // 500 JPEGs from the train split, spread over the three classes, copied so the page cache is warm and equal.
  const train = path.join(SHARED, 'cxr3', 'images', 'train');
  const all = ['COVID19', 'NORMAL', 'PNEUMONIA'].flatMap((c) =>
    fs.readdirSync(path.join(train, c)).sort().map((f) => path.join(train, c, f)),
  );
  const step = Math.max(1, Math.floor(all.length / JPEGS));
  const picked = all.filter((_, i) => i % step === 0).slice(0, JPEGS);
  const jpegDir = path.join(tmp, 'jpeg');
  for (const f of picked) {
    const cls = path.basename(path.dirname(f));
    fs.mkdirSync(path.join(jpegDir, cls), { recursive: true });
    fs.copyFileSync(f, path.join(jpegDir, cls, path.basename(f)));
  }
  const db = openCatalog(path.join(tmp, 'catalog.sqlite'));
  log(`importing ${picked.length} JPEGs…`);
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const summary = await runImport({ db, dataDir: tmp, roots: [jpegDir], labelsFromFolders: true });
  const jpegSeconds = (performance.now() - t0) / 1000;
  const jpegCpu = cpuSeconds() - c0;
  const t1 = performance.now();
  const again = await runImport({ db, dataDir: tmp, roots: [jpegDir], labelsFromFolders: true });
  const rescanSeconds = (performance.now() - t1) / 1000;
  db.close();

  // Each DICOM sample, COPIES times, through the per-file import path.
  const dicomDir = path.join(SHARED, 'dicom');
  const perSyntax: {
    transferSyntax: string;
    name: string;
    file: string;
    size: string;
    files: number;
    seconds: number;
    filesPerSec: number;
    cpuMsPerFile: number;
    projectedFilesPerSecIdle: number;
  }[] = [];
  const copyDir = path.join(tmp, 'dicom');
  const pool = new DecodePool();
  fs.mkdirSync(copyDir);
  for (const f of fs.readdirSync(dicomDir).filter((x) => x.endsWith('.dcm')).sort()) {
    const src = path.join(dicomDir, f);
    const tags = readDicomTags(parseDicom(new Uint8Array(fs.readFileSync(src)), src));
    const copies = Array.from({ length: COPIES }, (_, i) => {
      const p = path.join(copyDir, `${i}_${f}`);
      fs.copyFileSync(src, p);
      return { path: p, root: copyDir, size: fs.statSync(p).size };
    });
    // As runImport does it: 4 files in flight, pixel decoding in the pool (one thread per core).
    const store = path.join(tmp, 'dicom-store');
    const ctx = {
      dataDir: store,
      labelsFromFolders: false,
      claim: () => true,
      renderDicom: (file: string, raw: boolean) => pool.render(file, raw, store),
    };
    // Warm-up: every pool thread loads the codec's WASM once.
    await Promise.all(copies.slice(0, 2).map((c) => importFile(c, ctx)));
    fs.rmSync(store, { recursive: true, force: true }); // renderings are content-addressed: start cold
    const t = performance.now();
    const c = cpuSeconds();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < copies.length) {
          const o = await importFile(copies[next++]!, ctx);
          if (o.kind !== 'record' || o.record.image.renderingHash === null) throw new Error(`${f}: not decoded (${JSON.stringify(o).slice(0, 200)})`);
        }
      }),
    );
    const seconds = (performance.now() - t) / 1000;
    const cpu = cpuSeconds() - c;
    perSyntax.push({
      transferSyntax: tags.transferSyntax,
      name: transferSyntaxInfo(tags.transferSyntax)?.name ?? '?',
      file: f,
      size: `${tags.cols}x${tags.rows}`,
      files: COPIES,
      seconds: Number(seconds.toFixed(3)),
      filesPerSec: Number((COPIES / seconds).toFixed(1)),
      cpuMsPerFile: Number(((cpu / COPIES) * 1000).toFixed(1)),
      projectedFilesPerSecIdle: projected(COPIES, cpu),
    });
    log(`${f}: ${(COPIES / seconds).toFixed(1)} files/s`);
  }
  await pool.close();
  const big = perSyntax.filter((p) => {
    const [w, h] = p.size.split('x').map(Number);
    return w! * h! >= 1500 * 1500;
  });
  const bigNonJ2k = big.filter((p) => !p.transferSyntax.startsWith('1.2.840.10008.1.2.4.9'));
  const slowest = (xs: typeof perSyntax) => xs.reduce((a, b) => (b.filesPerSec < a.filesPerSec ? b : a));
  const slowestIdle = (xs: typeof perSyntax) => xs.reduce((a, b) => (b.projectedFilesPerSecIdle < a.projectedFilesPerSecIdle ? b : a));
  const jpegFilesPerSec = Number((summary.imported / jpegSeconds).toFixed(1));
  const result = {
    bench: 'import',
    cpus: os.availableParallelism(),
    loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
    jpeg: {
      files: summary.imported,
      seconds: Number(jpegSeconds.toFixed(2)),
      filesPerSec: jpegFilesPerSec,
      errors: summary.errorCount,
      cpuMsPerFile: Number(((jpegCpu / summary.imported) * 1000).toFixed(2)),
      projectedFilesPerSecIdle: projected(summary.imported, jpegCpu),
      reimportFilesPerSec: Number((again.duplicates / rescanSeconds).toFixed(1)),
    },
    dicom: perSyntax,
    slowestTransferSyntax: { file: slowest(perSyntax).file, filesPerSec: slowest(perSyntax).filesPerSec },
    slowestCompressed2kNonJ2k: bigNonJ2k.length ? { file: slowest(bigNonJ2k).file, filesPerSec: slowest(bigNonJ2k).filesPerSec } : null,
    slowestCompressed2kNonJ2kProjectedIdle: bigNonJ2k.length
      ? { file: slowestIdle(bigNonJ2k).file, projectedFilesPerSecIdle: slowestIdle(bigNonJ2k).projectedFilesPerSecIdle }
      : null,
    targets: {
      measured: {
        jpegAtLeast100PerSec: jpegFilesPerSec >= 100,
        compressed2kNonJ2kAtLeast10PerSec: bigNonJ2k.every((p) => p.filesPerSec >= 10),
      },
      projectedIdle: {
        jpegAtLeast100PerSec: projected(summary.imported, jpegCpu) >= 100,
        compressed2kNonJ2kAtLeast10PerSec: bigNonJ2k.every((p) => p.projectedFilesPerSecIdle >= 10),
      },
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

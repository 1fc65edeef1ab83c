import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandlers } from '../../src/main/ipc/handlers';
import type { ImportSummary } from '../../src/shared/import';
import { tempServices } from '../helpers/tempServices';
import { SAMPLE_DICOM } from './badCorpus';
import { goodDicom } from './dicomWriter';
import { dicomParser } from '../../src/main/imaging/dicom/parseDicom';
import { loadSample, mulberry32, mutate, runFuzz, type FuzzSample } from './dicomMutations';

const CASES = 4_000;
const SEED = 20_200_717;
const RSS_LIMIT_MB = 2_048;

/** The small samples (CI time): native explicit VR, RLE, two JPEG baselines, deflate, plus a tiny synthetic CR and a cut-down implicit-VR DX. */
const SMALL = ['CT_small.dcm', 'MR_small_RLE.dcm', 'SC_rgb_jpeg_dcmtk.dcm', 'SC_rgb_jpeg_lossy_gdcm.dcm', 'image_dfl.dcm'];
const WEIGHTS = [3, 3, 2, 2, 1, 2, 2];

function samples(): FuzzSample[] {
  const list = SMALL.map((n) => loadSample(path.join(SAMPLE_DICOM, n)));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-fuzz-sample-'));
  const synth = path.join(tmp, 'synthetic_cr.dcm');
  fs.writeFileSync(synth, goodDicom({ sopUid: '1.2.826.0.1.3680043.10.999.77', rows: 48, cols: 40 }));
  list.push(loadSample(synth));
  // The NIH chest DX (implicit VR, its real header) cut down to a 64 × 64 image: implicit VR cheaply.
  const nih = new Uint8Array(fs.readFileSync(path.join(SAMPLE_DICOM, 'nih_cxr14_chest_DX.dcm')));
  const ds = dicomParser.parseDicom(nih);
  const dv = new DataView(nih.buffer);
  dv.setUint16(ds.elements.x00280010!.dataOffset, 64, true);
  dv.setUint16(ds.elements.x00280011!.dataOffset, 64, true);
  const px = ds.elements.x7fe00010!;
  dv.setUint32(px.dataOffset - 4, 64 * 64, true);
  const small = path.join(tmp, 'nih_implicit_64.dcm');
  fs.writeFileSync(small, nih.subarray(0, px.dataOffset + 64 * 64));
  list.push(loadSample(small));
  fs.rmSync(tmp, { recursive: true, force: true });
  return list;
}

describe('DICOM fuzz through the import decode path', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const f of cleanup) await f();
  });

  it(`survives ${CASES} seeded mutations of the sample DICOMs: no throw, no hang, RSS under 2 GB`, async () => {
    const list = samples();
    // Every sample has length fields to corrupt, or that mutation silently became a bit flip.
    for (const s of list) expect(s.lengths.length, s.name).toBeGreaterThan(3);
    const report = await runFuzz({ samples: list, weights: WEIGHTS, cases: CASES, seed: SEED });
    console.log(`dicom fuzz: ${JSON.stringify(report)}`);
    expect(report.cases).toBe(CASES);
    expect(report.uncaught).toEqual([]);
    expect(report.hangs).toEqual([]);
    expect(report.untyped).toEqual([]);
    expect(report.maxRssMb).toBeLessThan(RSS_LIMIT_MB);
    // The fuzz reaches the decoders, not only the parser: some cases still decode.
    expect((report.outcomes.eligible ?? 0) + (report.outcomes['excluded:modality_ct_mr'] ?? 0)).toBeGreaterThan(CASES / 20);
    expect(report.outcomes['excluded:undecodable'] ?? 0).toBeGreaterThan(0);
  });

  it('runs a folder of 120 mutated files through the import worker: the worker finishes, the app stays up', async () => {
    const s = tempServices('cxr-fuzz-worker-');
    cleanup.push(() => s.cleanup());
    const dir = path.join(s.dataDir, 'fuzzed');
    fs.mkdirSync(dir);
    const rand = mulberry32(SEED + 1);
    const list = samples();
    for (let i = 0; i < 120; i++) fs.writeFileSync(path.join(dir, `case-${i}.dcm`), mutate(list[i % list.length]!, rand).bytes);
    s.importRoots.add(dir);
    const h = createHandlers(s);
    const done = new Promise<ImportSummary>((resolve) => {
      const off = s.events.subscribe((e, p) => {
        if (e === 'import.done') {
          off();
          resolve(p as ImportSummary);
        }
      });
    });
    expect((await h['import.start']({ roots: [dir] })).ok).toBe(true);
    const sum = await done;
    expect(sum.status).toBe('completed');
    expect(sum.scanned).toBe(120);
    const catalogued = (s.catalog.prepare('SELECT source_path FROM images').pluck().all() as string[]);
    const rows = catalogued.length;
    // Every file is accounted for: catalogued or given an error row, a duplicate SOP of another mutation, or skipped.
    const seen = new Set([...catalogued, ...sum.errors.map((e) => e.file)]);
    const skipped = Object.values(sum.skipped).reduce((a, n) => a + n, 0);
    expect(seen.size + sum.duplicates + skipped).toBe(120);
    expect((await h['system.ping']({ t: 1 })).ok).toBe(true);
    expect(s.catalog.pragma('integrity_check', { simple: true })).toBe('ok');
    console.log(`dicom fuzz (worker): 120 files, ${rows} catalogued, ${sum.duplicates} duplicates, ${sum.errors.length} error rows`);
  });
});

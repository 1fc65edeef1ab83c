import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { DecodePool } from '../../src/main/import/decodePool';
import { dicomParser } from '../../src/main/imaging/dicom/parseDicom';
import { createHandlers } from '../../src/main/ipc/handlers';
import type { PredictSummary } from '../../src/shared/predict';
import { tempServices } from '../helpers/tempServices';
import { SAMPLE_DICOM } from './badCorpus';
import { importLabelled, installBaseModel, labelledValFolder } from '../helpers/trainingFixtures';

/**
 * A worker thread that dies (a codec abort, an out-of-memory kill) costs its task only: the
 * caller gets a typed failure, the app keeps answering, and the next task gets a fresh worker.
 * The deaths are made with worker.terminate() on the live thread, reached past `private`.
 */
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup) await f();
});

describe('worker death', () => {
  it('a DICOM decode thread killed mid-file fails that file only; the pool decodes the next one', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-pool-death-'));
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const pool = new DecodePool(1);
    try {
      // The largest JPEG 2000 sample: seconds of decoding, time enough to kill the thread under it.
      const slow = pool.render(path.join(SAMPLE_DICOM, 'RG1_J2KI.dcm'), false, dataDir);
      const slots = (pool as unknown as { slots: { worker: Worker; task: unknown }[] }).slots;
      expect(slots.length).toBe(1);
      await new Promise((r) => setTimeout(r, 200));
      await slots[0]!.worker.terminate();
      const killed = await slow;
      expect(killed).toMatchObject({ ok: false, code: 'undecodable' });
      expect((killed as { reason: string }).reason).toMatch(/decoder/);
      const next = await pool.render(path.join(SAMPLE_DICOM, 'image_dfl.dcm'), false, dataDir);
      expect(next.ok).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('a real endless loop in a codec (found by bench/fuzzDicom.ts) is stopped by the pool deadline; the pool goes on', async () => {
    // RG3_JPLY (JPEG extended) with its first fragment's item length set to 3: the dcmjs-codecs
    // JPEG decoder then never returns. In-process this hangs for ever; in the pool it costs the deadline.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-endless-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const bytes = new Uint8Array(fs.readFileSync(path.join(SAMPLE_DICOM, 'RG3_JPLY.dcm')));
    const first = dicomParser.parseDicom(bytes).elements.x7fe00010!.fragments![0]!;
    new DataView(bytes.buffer).setUint32(first.position - 4, 3, true);
    const file = path.join(dir, 'endless.dcm');
    fs.writeFileSync(file, bytes);
    // The import's own pool and deadline: 5 s from the moment the thread starts the file.
    const pool = new DecodePool(1);
    try {
      const t = performance.now();
      const r = await pool.render(file, false, dir);
      expect(r).toEqual({ ok: false, code: 'undecodable', reason: 'decoding took over 5 s and was stopped' });
      expect(performance.now() - t).toBeLessThan(15_000);
      expect((await pool.render(path.join(SAMPLE_DICOM, 'MR_small_RLE.dcm'), false, dir)).ok).toBe(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('the inference worker killed mid-prediction: a typed INTERNAL error, ping still answers, the next run predicts everything', async () => {
    const s = tempServices('cxr-infer-death-');
    const labelled = labelledValFolder(4);
    cleanup.push(async () => {
      await s.cleanup();
      fs.rmSync(labelled, { recursive: true, force: true });
    });
    expect(await importLabelled(s, labelled)).toBe(12);
    const base = await installBaseModel(s);
    cleanup.push(() => fs.rmSync(base.dir, { recursive: true, force: true }));
    const h = createHandlers(s);
    const run = s.predictions.run({});
    // The host exists once the job has handed it the images.
    await new Promise((r) => setTimeout(r, 300));
    const worker = s.inference.worker!;
    await worker.terminate();
    await expect(run).rejects.toMatchObject({ code: 'INTERNAL' });
    const ping = await h['system.ping']({ t: 1 });
    expect(ping.ok).toBe(true);
    expect(s.catalog.pragma('integrity_check', { simple: true })).toBe('ok');
    const again = await h['predict.images']({});
    expect(again.ok, JSON.stringify(again)).toBe(true);
    const sum = (again as { value: PredictSummary }).value;
    expect(sum.predicted).toBeGreaterThan(0);
    expect(s.catalog.prepare('SELECT count(DISTINCT image_id) FROM predictions').pluck().get()).toBe(12);
  }, 180_000);
});

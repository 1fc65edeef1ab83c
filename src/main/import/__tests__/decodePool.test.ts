import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { DecodePool } from '../decodePool';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-pool-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('the DICOM decode pool', () => {
  it('decodes in worker threads, gives a readable error for a bad file, and stops a decode that overruns', async () => {
    const pool = new DecodePool(2, 60_000);
    try {
      const [good, bad] = await Promise.all([
        pool.render(path.join(SHARED_DATA, 'dicom', 'MR_small_RLE.dcm'), false, dataDir),
        pool.render(path.join(SHARED_DATA, 'cxr3', 'README.md'), false, dataDir),
      ]);
      expect(good).toMatchObject({ ok: true });
      if (good.ok) expect(fs.existsSync(path.join(dataDir, 'renderings', `${good.renderingHash}.png`))).toBe(true);
      expect(bad).toMatchObject({ ok: false, code: 'parse_failed' });
    } finally {
      await pool.close();
    }
    // A 1 ms budget cannot hold a 2k JPEG 2000 decode: the worker is stopped and the file fails, the pool goes on.
    const strict = new DecodePool(1, 1);
    try {
      const r = await strict.render(path.join(SHARED_DATA, 'dicom', 'RG3_J2KR.dcm'), false, dataDir);
      expect(r).toEqual({ ok: false, code: 'undecodable', reason: 'decoding took over 1 ms and was stopped' });
    } finally {
      await strict.close();
    }
  });
});

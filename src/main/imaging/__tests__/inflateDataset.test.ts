import { afterAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { writeDeflateBomb } from '../../../../test/reliability/deflateBomb';
import { dicomParser, parseDicom, readDicomDataset } from '../dicom/parseDicom';
import { readDicomTags } from '../dicom/dicomTags';
import { readDicomImage } from '../dicom/dicomImage';
import { INFLATE_OVERHEAD_BYTES } from '../dicom/inflateDataset';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-inflate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a deflated dataset', () => {
  it('inflates once to the same bytes zlib gives, and parses again from them without inflating', async () => {
    const file = path.join(SHARED_DATA, 'dicom', 'image_dfl.dcm');
    const bytes = new Uint8Array(fs.readFileSync(file));
    const ds = await readDicomDataset(bytes, file);
    const position = (dicomParser.readPart10Header(bytes) as unknown as { position: number }).position;
    expect(position).toBeGreaterThan(132);
    const whole = Buffer.concat([bytes.subarray(0, position), zlib.inflateRawSync(bytes.subarray(position))]);
    expect(crypto.createHash('sha256').update(ds.byteArray).digest('hex')).toBe(crypto.createHash('sha256').update(whole).digest('hex'));
    const again = parseDicom(ds.byteArray, file, { inflated: true });
    expect(readDicomTags(again)).toEqual(readDicomTags(ds));
    // The synchronous path inflates the same bytes, within its smaller allowance.
    expect(Buffer.from(parseDicom(bytes, file).byteArray).equals(whole)).toBe(true);
  });

  it('that inflates past what its tags need is refused early, naming the file, with little memory', async () => {
    const file = path.join(dir, 'bomb.dcm');
    await writeDeflateBomb(file, '1.2.826.0.1.3680043.9.7777.1');
    const bytes = new Uint8Array(fs.readFileSync(file));
    expect(bytes.length).toBeLessThan(1 << 20);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    await expect(readDicomDataset(bytes, file)).rejects.toThrow(/bomb\.dcm: the deflated dataset inflates past \d+ bytes, more than its tags need/);
    clearInterval(timer);
    // The frame (8 MB) plus the allowance for other elements, never the 520 MB the stream holds.
    const cap = INFLATE_OVERHEAD_BYTES + 2048 * 2048 * 2;
    await expect(readDicomDataset(bytes, file)).rejects.toThrow(new RegExp(`inflates past ${cap} bytes`));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(3 * cap);
  }, 60_000);

  it('whose private element is inside the allowance still reads, pixels and all', async () => {
    const file = path.join(dir, 'small-private.dcm');
    await writeDeflateBomb(file, '1.2.826.0.1.3680043.9.7777.2', 1 << 20);
    const d = await readDicomImage(file);
    expect(d.tags.transferSyntax).toBe('1.2.840.10008.1.2.1.99');
    expect([d.frame.width, d.frame.height]).toEqual([2048, 2048]);
    expect(d.frame.samples[5]).toBe(5 * 16);
  }, 60_000);
});

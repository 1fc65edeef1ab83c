import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { grayToInput, preprocess, resizeGray } from '../preprocess';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';

describe('preprocess', () => {
  it('stretches a non-square image to the square instead of padding it', async () => {
    // 40 wide × 10 high, all mid-gray: padding would leave black (0) bands top and bottom.
    const img = { data: new Uint8Array(40 * 10).fill(128), width: 40, height: 10 };
    const out = await resizeGray(img, 16);
    expect(out.length).toBe(256);
    expect(Math.min(...out)).toBeGreaterThan(120);
  });

  it('keeps left/right order and scales to [0,1] with the gray plane in every channel', async () => {
    const w = 20;
    const data = new Uint8Array(w * w);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data[y * w + x] = x < w / 2 ? 0 : 255;
    const out = await preprocess({ data, width: w, height: w }, { size: 10, channels: 3 });
    expect(out.length).toBe(10 * 10 * 3);
    expect(out[0]).toBeCloseTo(0, 2);
    expect(out[(10 - 1) * 3]).toBeCloseTo(1, 2);
    expect(out[1]).toBe(out[0]);
    expect(out[2]).toBe(out[0]);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
  });

  it('gives the same input from a file path and from its decoded gray buffer', async () => {
    const dir = path.join(SHARED_DATA, 'cxr3/images/val/NORMAL');
    const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.jpg'))!);
    const { data, info } = await sharp(file).grayscale().raw().toBuffer({ resolveWithObject: true });
    const a = await preprocess(file, { size: 80, channels: 1 });
    const b = await preprocess({ data: new Uint8Array(data), width: info.width, height: info.height }, { size: 80, channels: 1 });
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1 / 255 + 1e-6);
  });

  it('grayToInput writes one value per channel', () => {
    expect(Array.from(grayToInput(new Uint8Array([0, 255]), 1))).toEqual([0, 1]);
  });
});

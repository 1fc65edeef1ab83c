import { describe, expect, it } from 'vitest';
import { letterbox, maskBorders } from '../chestAugment';

const C = 50;
/** Row y holds y / (C − 1): a vertical ramp from 0 to 1. */
const ramp = (): Float32Array => Float32Array.from({ length: C * C }, (_, i) => Math.floor(i / C) / (C - 1));
/** A rand() that plays back the given draws. */
const script = (...draws: number[]) => () => draws.shift() ?? 0.5;

describe('chest augmentation: frames and bars', () => {
  it('letterbox squeezes the whole image between its bars instead of painting over it', () => {
    const p = ramp();
    // bar = floor((0.04 + 0.5 × 0.14) × 50) = 5 rows, horizontal bars, black.
    letterbox(p, C, script(0.5, 0.1, 0.1));
    for (const y of [0, 4, 45, 49]) expect(p[y * C + 10]).toBe(0);
    // The image's top and bottom rows are still there, just inside the bars.
    expect(p[5 * C + 10]).toBeLessThan(0.03);
    expect(p[44 * C + 10]).toBeGreaterThan(0.97);
    // Monotone in between: squeezed, not cropped.
    for (let y = 6; y < 45; y++) expect(p[y * C + 10]!).toBeGreaterThanOrEqual(p[(y - 1) * C + 10]!);
  });

  it('a frame may be flat grey at the image mean (the probe found a grey frame read as a source)', () => {
    const p = ramp();
    const mean = p.reduce((a, b) => a + b, 0) / p.length;
    // fill: the image mean; a whole frame of floor((0.06 + 0.5 × 0.12) × 50) = 6 pixels.
    maskBorders(p, C, script(0.6, 0.1, 0.5));
    for (const [y, x] of [[0, 0], [5, 25], [25, 49], [49, 3]] as const) expect(p[y * C + x]).toBeCloseTo(mean, 6);
    expect(p[6 * C + 6]).toBeCloseTo(6 / (C - 1), 6);
    expect(p[43 * C + 43]).toBeCloseTo(43 / (C - 1), 6);
  });
});

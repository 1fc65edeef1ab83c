import { describe, expect, it } from 'vitest';
import { windowLut } from '../windowLevel';

describe('window/level lookup table', () => {
  it('maps the window to 0-255 and clamps outside it', () => {
    const lut = windowLut(100, 100, false);
    expect(lut[50]).toBe(0);
    expect(lut[150]).toBe(255);
    expect(lut[100]).toBe(128);
    expect(lut[20]).toBe(0);
    expect(lut[240]).toBe(255);
  });

  it('inverts', () => {
    const lut = windowLut(256, 128, true);
    expect(lut[0]).toBe(255);
    expect(lut[255]).toBeLessThanOrEqual(1);
  });
});

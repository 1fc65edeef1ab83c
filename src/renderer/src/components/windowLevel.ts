/**
 * Window/level on the normalised 8-bit rendering: a 256-entry lookup table mapping grey levels
 * through the window [center − width/2, center + width/2] to 0–255, optionally inverted.
 */
export function windowLut(width: number, center: number, invert: boolean): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256);
  const w = Math.max(1, width);
  const lo = center - w / 2;
  for (let v = 0; v < 256; v++) {
    const out = ((v - lo) / w) * 255;
    lut[v] = invert ? 255 - out : out;
  }
  return lut;
}

/** Fills RGBA image data from grey pixels through a LUT. */
export function applyLut(grey: Uint8Array, lut: Uint8ClampedArray, out: Uint8ClampedArray): void {
  for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
    const g = lut[grey[i]!]!;
    out[j] = g;
    out[j + 1] = g;
    out[j + 2] = g;
    out[j + 3] = 255;
  }
}

/**
 * Colour (RGB, or YBR when the codec left it as stored) to 8-bit gray. For YBR the luma channel
 * already is the gray; for RGB the Rec. 601 weights. Handles both planar configurations and the
 * two-pixels-per-chroma-pair layout of uncompressed YBR_FULL_422.
 */
export function colorToGray(
  samples: Uint8Array | Uint16Array | Uint32Array,
  opts: { width: number; height: number; planar: boolean; colorSpace: 'RGB' | 'YBR' | 'YBR_422'; maxValue: number },
): Uint8Array {
  const n = opts.width * opts.height;
  const out = new Uint8Array(n);
  const k = 255 / Math.max(1, opts.maxValue);
  const put = (i: number, v: number) => (out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
  if (opts.colorSpace === 'YBR_422' && !opts.planar) {
    // Y1 Y2 Cb Cr per pair of pixels.
    for (let p = 0, s = 0; p + 1 < n + 1 && s + 3 < samples.length; p += 2, s += 4) {
      put(p, samples[s]! * k);
      if (p + 1 < n) put(p + 1, samples[s + 1]! * k);
    }
    return out;
  }
  const at = (i: number, c: number) => (opts.planar ? samples[c * n + i]! : samples[i * 3 + c]!);
  for (let i = 0; i < n; i++) {
    if (opts.colorSpace === 'RGB') put(i, (0.299 * at(i, 0) + 0.587 * at(i, 1) + 0.114 * at(i, 2)) * k);
    else put(i, at(i, 0) * k);
  }
  return out;
}

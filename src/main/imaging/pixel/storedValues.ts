/**
 * BitsStored/HighBit masking and signed PixelRepresentation: the stored value of each sample,
 * with bits outside [HighBit-BitsStored+1, HighBit] (overlays, garbage) dropped, and the top
 * stored bit read as a sign bit when PixelRepresentation is 1.
 */
export function storedValues(
  samples: Uint8Array | Uint16Array | Uint32Array,
  opts: {
    bitsStored: number;
    highBit: number;
    signed: boolean;
    containerBits: number;
    /**
     * Lossy codecs can overshoot past BitsStored (a 12-bit JPEG of 10-bit data gives 1025):
     * masking would wrap that to 1, so unsigned codec output is clamped instead.
     */
    clampUnsigned?: boolean;
  },
): Int32Array {
  const bitsStored = Math.min(Math.max(1, opts.bitsStored), opts.containerBits);
  // A HighBit that cannot hold BitsStored is corrupt; the usual reading is HighBit = BitsStored-1.
  const highBit = opts.highBit >= bitsStored - 1 && opts.highBit < opts.containerBits ? opts.highBit : bitsStored - 1;
  const shift = highBit - bitsStored + 1;
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const signBit = 2 ** (bitsStored - 1);
  const range = 2 ** bitsStored;
  const out = new Int32Array(samples.length);
  if (opts.clampUnsigned && !opts.signed) {
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i]!;
      out[i] = v > mask ? mask : v;
    }
    return out;
  }
  for (let i = 0; i < samples.length; i++) {
    let v = (samples[i]! >>> shift) & mask;
    if (bitsStored >= 32) v = v >>> 0;
    if (opts.signed && v >= signBit) v -= range;
    out[i] = v;
  }
  return out;
}

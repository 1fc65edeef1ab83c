/**
 * A window for images that carry none: the 0.5th to 99.5th percentile of the modality values,
 * so a few hot pixels or a black border do not wash out the anatomy. With `counts`, `values` is
 * a lookup table and counts[i] says how many pixels have values[i] (renderFrame's fast path).
 */
export function autoWindow(
  values: Float32Array,
  counts?: Uint32Array,
  lowFraction = 0.005,
  highFraction = 0.995,
): { low: number; high: number } {
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const c = counts ? counts[i]! : 1;
    if (c === 0) continue;
    total += c;
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return { low: min, high: min + 1 };
  const bins = 4096;
  const hist = new Float64Array(bins);
  const scale = (bins - 1) / (max - min);
  for (let i = 0; i < values.length; i++) {
    const c = counts ? counts[i]! : 1;
    if (c > 0) hist[Math.floor((values[i]! - min) * scale)]! += c;
  }
  const lowCount = total * lowFraction;
  const highCount = total * highFraction;
  let acc = 0;
  let lowBin = 0;
  let highBin = bins - 1;
  let lowFound = false;
  for (let b = 0; b < bins; b++) {
    acc += hist[b]!;
    if (!lowFound && acc > lowCount) {
      lowBin = b;
      lowFound = true;
    }
    if (acc >= highCount) {
      highBin = b;
      break;
    }
  }
  const low = min + lowBin / scale;
  const high = min + (highBin + 1) / scale;
  return high > low ? { low, high } : { low: min, high: max };
}

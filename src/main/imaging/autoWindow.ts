/**
 * A window for images that carry none: the 0.5th to 99.5th percentile of the modality values,
 * so a few hot pixels or a black border do not wash out the anatomy.
 */
export function autoWindow(values: Float32Array, lowFraction = 0.005, highFraction = 0.995): { low: number; high: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return { low: min, high: min + 1 };
  const bins = 4096;
  const hist = new Uint32Array(bins);
  const scale = (bins - 1) / (max - min);
  for (let i = 0; i < values.length; i++) hist[Math.floor((values[i]! - min) * scale)]!++;
  const lowCount = values.length * lowFraction;
  const highCount = values.length * highFraction;
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

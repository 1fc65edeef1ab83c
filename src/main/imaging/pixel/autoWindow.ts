/**
 * A window for images that carry none (no VOI LUT, no Window Center/Width): the 0.5th to 99.5th
 * percentile of the modality values. This rule stays even where an independent viewer differs:
 * dcmtk's dcm2pnm and GDCM show such files by min–max (--min-max-window), which the conformance
 * suite measured as the one systematic rendering difference; it is kept on purpose.
 *
 * Why the histogram, not min–max: the renderings feed a model trained on display-windowed
 * films, and raw radiographs routinely hold a few extreme pixels (dead or hot detector
 * elements, burnt-in text at full scale, a collimator border of zeros, padding values).
 * Min–max lets those few pixels set the whole scale, so the lung fields land in a narrow band
 * of gray and differ from file to file with the outliers, not the anatomy; the percentiles
 * ignore 1% of the pixels and give a stable, contrast-filled rendering. Images without
 * outliers come out nearly the same either way: on the conformance variants without a window
 * the correlation of our rendering with dcmtk's min–max one is 0.9996 at the lowest.
 *
 * With `counts`, `values` is a lookup table and counts[i] says how many pixels have values[i]
 * (renderFrame's fast path).
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

/**
 * Expected calibration error (Naeini et al. 2015; Guo et al. 2017): the gap between confidence
 * (the top probability) and accuracy, averaged over equal-width confidence bins weighted by count.
 */

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Fraction of the bin's images whose top class is the true one (NaN for an empty bin). */
  accuracy: number;
  /** Mean top probability in the bin (NaN for an empty bin). */
  confidence: number;
}

export interface CalibrationError {
  ece: number;
  /** Largest gap of any non-empty bin. */
  mce: number;
  bins: ReliabilityBin[];
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** ECE with `nBins` equal-width bins over (0, 1]; 15 bins as in Guo et al. */
export function expectedCalibrationError(
  probs: readonly ArrayLike<number>[],
  labels: readonly number[],
  nBins = 15,
): CalibrationError {
  if (probs.length !== labels.length) throw new Error(`ECE: ${probs.length} probability rows but ${labels.length} labels`);
  const count = new Array<number>(nBins).fill(0);
  const correct = new Array<number>(nBins).fill(0);
  const conf = new Array<number>(nBins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    const top = argmax(p);
    const c = p[top]!;
    // Bin b holds (b/n, (b+1)/n]; a confidence of exactly 0 falls in the first bin.
    const b = Math.min(nBins - 1, Math.max(0, Math.ceil(c * nBins) - 1));
    count[b]!++;
    conf[b]! += c;
    if (top === labels[i]) correct[b]!++;
  }
  let ece = 0;
  let mce = 0;
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < nBins; b++) {
    const n = count[b]!;
    const accuracy = n ? correct[b]! / n : NaN;
    const confidence = n ? conf[b]! / n : NaN;
    if (n) {
      const gap = Math.abs(accuracy - confidence);
      ece += (n / probs.length) * gap;
      mce = Math.max(mce, gap);
    }
    bins.push({ lo: b / nBins, hi: (b + 1) / nBins, count: n, accuracy, confidence });
  }
  return { ece: probs.length ? ece : NaN, mce, bins };
}

import { LABELS } from '../../shared/labels';

/**
 * Which images an epoch visits. 'shuffle' is the paper's: every training image once, in a seeded
 * order. 'balanced' draws a fixed number of images per epoch so that every class present gets the
 * same share, and within a class each source (data set) gets a share by its size to the power
 * `sourcePower` (0: every source alike; 1: as many as it holds). Without it, Kermany's 3,500
 * pediatric pneumonias would be nine in ten pneumonia images, and the model would learn "child"
 * for pneumonia; a group smaller than its share is visited more than once an epoch.
 */
export type Sampling = { kind: 'shuffle' } | { kind: 'balanced'; epochSize: number; sourcePower: number };

/** Seeded Fisher–Yates over 0..n-1. */
export function shuffled(n: number, rand: () => number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  shuffleInPlace(idx, rand);
  return idx;
}

function shuffleInPlace(a: Uint32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** The share of an epoch each (class, source) group gets under balanced sampling. */
export function groupShares(labels: ArrayLike<number>, sources: readonly string[], sourcePower: number): Map<string, { members: number[]; share: number }> {
  const groups = new Map<string, { label: number; members: number[]; share: number }>();
  for (let i = 0; i < labels.length; i++) {
    const key = `${LABELS[labels[i]!]}|${sources[i]}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { label: labels[i]!, members: [], share: 0 }));
    g.members.push(i);
  }
  const classes = new Set([...groups.values()].map((g) => g.label));
  for (const c of classes) {
    const inClass = [...groups.values()].filter((g) => g.label === c);
    const weights = inClass.map((g) => g.members.length ** sourcePower);
    const sum = weights.reduce((a, b) => a + b, 0);
    inClass.forEach((g, i) => (g.share = weights[i]! / sum / classes.size));
  }
  return groups;
}

/** The image indices of one epoch, in training order. */
export function epochOrder(labels: ArrayLike<number>, sources: readonly string[], sampling: Sampling, rand: () => number): Uint32Array {
  if (sampling.kind === 'shuffle') return shuffled(labels.length, rand);
  const order: number[] = [];
  for (const g of groupShares(labels, sources, sampling.sourcePower).values()) {
    const draws = Math.round(sampling.epochSize * g.share);
    // Whole passes over the group in fresh orders, so no image repeats before all were seen.
    const members = Uint32Array.from(g.members);
    for (let taken = 0; taken < draws; ) {
      shuffleInPlace(members, rand);
      const n = Math.min(members.length, draws - taken);
      for (let i = 0; i < n; i++) order.push(members[i]!);
      taken += n;
    }
  }
  const out = Uint32Array.from(order);
  shuffleInPlace(out, rand);
  return out;
}

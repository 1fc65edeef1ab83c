/**
 * The heatmap's colour scale (dark blue → cyan → green → yellow → red), shared by the overlay and
 * the colour bar so that the bar is exactly what is drawn.
 */
/** A heatmap as the viewer draws it: values of any range, row-major. */
export interface HeatmapView {
  data: Float32Array;
  /** [height, width, ...] */
  shape: number[];
  /** The conv layer explained (Grad-CAM falls back to a shallower block when the last has no evidence). */
  layer?: string;
}

const STOPS: readonly [number, [number, number, number]][] = [
  [0, [20, 20, 120]],
  [0.25, [0, 170, 230]],
  [0.5, [40, 200, 80]],
  [0.75, [250, 220, 40]],
  [1, [240, 40, 30]],
];

function heatColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, c1] = STOPS[i]!;
    const [t0, c0] = STOPS[i - 1]!;
    if (x <= t1) {
      const f = (x - t0) / (t1 - t0);
      return [c0[0] + f * (c1[0] - c0[0]), c0[1] + f * (c1[1] - c0[1]), c0[2] + f * (c1[2] - c0[2])];
    }
  }
  return STOPS[STOPS.length - 1]![1];
}

export const HEAT_GRADIENT_CSS = `linear-gradient(to right, ${STOPS.map(([t, c]) => `rgb(${c.join(',')}) ${t * 100}%`).join(', ')})`;

/**
 * RGBA for a heatmap normalised to its own range. Low values fade out so that the anatomy under
 * cold regions stays readable.
 */
export function heatmapRgba(data: Float32Array, out: Uint8ClampedArray): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0, j = 0; i < data.length; i++, j += 4) {
    const t = (data[i]! - lo) / span;
    const [r, g, b] = heatColor(t);
    out[j] = r;
    out[j + 1] = g;
    out[j + 2] = b;
    // The coldest fifth is fully transparent; above it opacity rises with attention.
    out[j + 3] = Math.round(255 * Math.min(1, Math.max(0, (t - 0.2) / 0.6)));
  }
}

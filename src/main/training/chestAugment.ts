/**
 * Augmentation against the shortcuts the shared data offer (issue 14's probe found them): the
 * sources differ in aspect ratio (Kermany squashed to 224², COVID-era films kept theirs),
 * resolution, JPEG compression, frames and borders, and burnt-in text. Each is randomised on
 * every class so none of them tells the classes apart:
 * - geometry: a random crop per axis (aspect jitter), sometimes zoomed out into black borders,
 *   small rotations and a flip; crop sides average ~0.95 of the image so the scale matches
 *   inference, which sees the whole image;
 * - resolution: rendered small, then scaled up; compression: the cache's JPEG re-encoded copy;
 * - exposure: gamma, contrast and brightness;
 * - frame: random border masks and letterbox bars; annotations: words and lead markers in the
 *   corners (burntInText.ts).
 * Works on the cached whole image (resize² gray bytes) straight into the batch buffer.
 */
import { paintRandomText } from './burntInText';

export interface ChestAugment {
  kind: 'chest';
  /** Side of the cached whole image the crops come from. */
  resize: number;
  /** The model's input side. */
  crop: number;
  /** Crop side as a fraction of the image, drawn per axis; above 1 zooms out into black borders. */
  scale: [number, number];
  rotateDeg: number;
  flip: boolean;
  gamma: [number, number];
  contrast: [number, number];
  brightness: number;
  /** Probability of rendering at a lower resolution first, and the smallest side as a fraction of crop. */
  lowRes: { p: number; min: number };
  /** Probability of using the cache's JPEG re-encoded copy. */
  jpeg: { p: number; quality: [number, number] };
  borderMask: number;
  letterbox: number;
  text: number;
}

/**
 * The shipped default's last training stage. Frames and letterbox came up from 0.3 and 0.15 (the
 * first stage, scripts/train-default.sh) when the probe still found 15 % of val flipping on a flat
 * frame and 12 % on a squeezed letterbox; after the two fine-tuning stages at these rates, 10 % and 9 %.
 */
export const CHEST_AUGMENT: Omit<ChestAugment, 'resize' | 'crop'> = {
  kind: 'chest',
  scale: [0.8, 1.1],
  rotateDeg: 8,
  flip: true,
  gamma: [0.7, 1.45],
  contrast: [0.75, 1.3],
  brightness: 0.08,
  lowRes: { p: 0.3, min: 0.35 },
  jpeg: { p: 0.3, quality: [15, 60] },
  borderMask: 0.45,
  letterbox: 0.45,
  text: 0.5,
};

const uniform = (rand: () => number, [lo, hi]: [number, number]) => lo + rand() * (hi - lo);

/** Bilinear sample of an S×S plane at (x, y) in pixel centres; -1 outside the image. */
function sample(src: Uint8Array, S: number, x: number, y: number): number {
  if (x < -0.5 || y < -0.5 || x > S - 0.5 || y > S - 0.5) return -1;
  const xc = Math.min(Math.max(x, 0), S - 1);
  const yc = Math.min(Math.max(y, 0), S - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, S - 1);
  const y1 = Math.min(y0 + 1, S - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const top = src[y0 * S + x0]! * (1 - fx) + src[y0 * S + x1]! * fx;
  const bottom = src[y1 * S + x0]! * (1 - fx) + src[y1 * S + x1]! * fx;
  return (top * (1 - fy) + bottom * fy) / 255;
}

/** Bilinear resize of an r×r float plane to c×c. */
function upsample(plane: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(c * c);
  const k = r / c;
  for (let v = 0; v < c; v++) {
    const y = Math.min(Math.max((v + 0.5) * k - 0.5, 0), r - 1);
    const y0 = Math.floor(y);
    const y1 = Math.min(y0 + 1, r - 1);
    const fy = y - y0;
    for (let u = 0; u < c; u++) {
      const x = Math.min(Math.max((u + 0.5) * k - 0.5, 0), r - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, r - 1);
      const fx = x - x0;
      const top = plane[y0 * r + x0]! * (1 - fx) + plane[y0 * r + x1]! * fx;
      const bottom = plane[y1 * r + x0]! * (1 - fx) + plane[y1 * r + x1]! * fx;
      out[v * c + u] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** The plane after geometry and exposure: crop × crop in [0, 1], outside the image black. */
function warp(src: Uint8Array, o: ChestAugment, rand: () => number): Float32Array {
  const S = o.resize;
  const C = o.crop;
  const r = rand() < o.lowRes.p ? Math.max(8, Math.round(C * uniform(rand, [o.lowRes.min, 1]))) : C;
  const w = uniform(rand, o.scale) * S;
  const h = uniform(rand, o.scale) * S;
  const cx = S / 2 + (rand() - 0.5) * (Math.abs(S - w) + 0.06 * S);
  const cy = S / 2 + (rand() - 0.5) * (Math.abs(S - h) + 0.06 * S);
  const theta = ((rand() * 2 - 1) * o.rotateDeg * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const flip = o.flip && rand() < 0.5 ? -1 : 1;
  const gamma = Math.exp(uniform(rand, [Math.log(o.gamma[0]), Math.log(o.gamma[1])]));
  const contrast = uniform(rand, o.contrast);
  const brightness = (rand() * 2 - 1) * o.brightness;
  const plane = new Float32Array(r * r);
  let sum = 0;
  let inside = 0;
  for (let v = 0; v < r; v++) {
    const ny = ((v + 0.5) / r - 0.5) * h;
    for (let u = 0; u < r; u++) {
      const nx = flip * ((u + 0.5) / r - 0.5) * w;
      const val = sample(src, S, cx + cos * nx - sin * ny - 0.5, cy + sin * nx + cos * ny - 0.5);
      if (val < 0) {
        plane[v * r + u] = -1;
        continue;
      }
      const g = val ** gamma;
      plane[v * r + u] = g;
      sum += g;
      inside++;
    }
  }
  const mean = inside ? sum / inside : 0;
  for (let i = 0; i < plane.length; i++) {
    const g = plane[i]!;
    plane[i] = g < 0 ? 0 : Math.min(1, Math.max(0, (g - mean) * contrast + mean + brightness));
  }
  return r === C ? plane : upsample(plane, r, C);
}

/**
 * The fill of a frame or bar: black (a collimation edge, a cropped scan), white, or a flat grey,
 * the image's own mean or any level (a shutter or a display's background). The first version drew
 * black or white only, and a flat grey frame (the probe's mask-borders) then moved 57 % of val
 * predictions to COVID-19: the model had learned "grey frame" as a source.
 */
function fillLevel(plane: Float32Array, rand: () => number): number {
  const r = rand();
  if (r < 0.45) return 0;
  if (r < 0.55) return 1;
  if (r < 0.8) {
    let sum = 0;
    for (let i = 0; i < plane.length; i++) sum += plane[i]!;
    return sum / plane.length;
  }
  return 0.15 + rand() * 0.7;
}

/** Flat bands on some sides, or a whole frame (up to 18 % of the side). */
export function maskBorders(plane: Float32Array, C: number, rand: () => number): void {
  const fill = fillLevel(plane, rand);
  const band = () => Math.floor(rand() * 0.18 * C);
  const frame = rand() < 0.35;
  const [top, bottom, left, right] = frame
    ? (() => {
        const b = Math.floor((0.06 + rand() * 0.12) * C);
        return [b, b, b, b];
      })()
    : ([0, 1, 2, 3].map(() => (rand() < 0.5 ? band() : 0)) as [number, number, number, number]);
  for (let y = 0; y < C; y++) {
    for (let x = 0; x < C; x++) if (y < top || y >= C - bottom || x < left || x >= C - right) plane[y * C + x] = fill;
  }
}

/**
 * Letterbox or pillarbox: the whole image squeezed into the middle and bars on both sides, as a
 * landscape screenshot or a resized export has (the first version painted bars over the image
 * without squeezing it, and the probe's squeezed letterbox still flipped 19 % of val).
 */
export function letterbox(plane: Float32Array, C: number, rand: () => number): void {
  const bar = Math.floor((0.04 + rand() * 0.14) * C);
  const horizontal = rand() < 0.5;
  const fill = rand() < 0.8 ? 0 : fillLevel(plane, rand);
  const src = plane.slice();
  const inner = C - 2 * bar;
  for (let y = 0; y < C; y++) {
    for (let x = 0; x < C; x++) {
      const t = horizontal ? y : x;
      if (t < bar || t >= C - bar) {
        plane[y * C + x] = fill;
        continue;
      }
      // Nearest source line of the squeezed axis.
      const s = Math.min(C - 1, Math.floor(((t - bar + 0.5) * C) / inner));
      plane[y * C + x] = horizontal ? src[s * C + x]! : src[y * C + s]!;
    }
  }
}

/**
 * Writes one augmented crop×crop×channels image into `out` at `offset`. `src` is the cached
 * resize² plane, `jpegCopy` the same image re-encoded (or null).
 */
export function chestAugmentInto(
  src: Uint8Array,
  jpegCopy: Uint8Array | null,
  o: ChestAugment,
  rand: () => number,
  channels: number,
  out: Float32Array,
  offset: number,
): void {
  const C = o.crop;
  const plane = warp(jpegCopy && rand() < o.jpeg.p ? jpegCopy : src, o, rand);
  if (rand() < o.borderMask) maskBorders(plane, C, rand);
  if (rand() < o.letterbox) letterbox(plane, C, rand);
  if (rand() < o.text) paintRandomText(plane, C, rand);
  let k = offset;
  for (let i = 0; i < plane.length; i++) for (let c = 0; c < channels; c++) out[k++] = plane[i]!;
}

import type { DataSet } from 'dicom-parser';
import { autoWindow } from './autoWindow';
import { firstItem, lookup, readLut, type DicomLut } from './dicomLut';

/** How modality values become display values: PS3.3 C.11.2. */
export type Voi =
  | { kind: 'lut'; lut: DicomLut }
  | { kind: 'window'; center: number; width: number; fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' }
  | { kind: 'auto' };

/**
 * The VOI to apply: a VOI LUT Sequence wins, then the first Window Center/Width pair (a file may
 * carry several; the first is the default), else an automatic window from the histogram.
 */
export function readVoi(ds: DataSet, signedLutInput: boolean): Voi {
  const item = firstItem(ds, 'x00283010');
  const lut = item ? readLut(item, signedLutInput) : undefined;
  if (lut) return { kind: 'lut', lut };
  const center = ds.floatString('x00281050', 0);
  const width = ds.floatString('x00281051', 0);
  const fnTag = ds.string('x00281056')?.trim().toUpperCase();
  const fn = fnTag === 'SIGMOID' || fnTag === 'LINEAR_EXACT' ? fnTag : 'LINEAR';
  const minWidth = fn === 'LINEAR' ? 1 : 0;
  if (center !== undefined && width !== undefined && Number.isFinite(center) && Number.isFinite(width) && width > minWidth) {
    return { kind: 'window', center, width, fn };
  }
  return { kind: 'auto' };
}

/**
 * Applies the VOI, giving 8-bit display values where 0 is the darkest for MONOCHROME2. `counts`
 * weights `values` when it is a lookup table rather than the pixels (for the automatic window).
 */
export function applyVoi(values: Float32Array, voi: Voi, counts?: Uint32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  if (voi.kind === 'lut') {
    let lutMax = 0;
    for (const v of voi.lut.data) if (v > lutMax) lutMax = v;
    // Some writers declare 16 bits but fill 12: scale by the bits the table really uses.
    const usedBits = Math.min(voi.lut.bits, Math.max(1, Math.ceil(Math.log2(lutMax + 1))));
    const top = 2 ** usedBits - 1;
    for (let i = 0; i < values.length; i++) out[i] = clamp8((lookup(voi.lut, values[i]!) / top) * 255);
    return out;
  }
  if (voi.kind === 'auto') {
    const { low, high } = autoWindow(values, counts);
    const k = 255 / (high - low);
    for (let i = 0; i < values.length; i++) out[i] = clamp8((values[i]! - low) * k);
    return out;
  }
  const { center: c, width: w, fn } = voi;
  if (fn === 'SIGMOID') {
    for (let i = 0; i < values.length; i++) out[i] = clamp8(255 / (1 + Math.exp((-4 * (values[i]! - c)) / w)));
  } else if (fn === 'LINEAR_EXACT') {
    const low = c - w / 2;
    for (let i = 0; i < values.length; i++) out[i] = clamp8(((values[i]! - low) / w) * 255);
  } else {
    // PS3.3 C.11.2.1.2.1: the classic window with its half-pixel offsets.
    const c5 = c - 0.5;
    const w1 = w - 1;
    for (let i = 0; i < values.length; i++) out[i] = clamp8(((values[i]! - c5) / w1 + 0.5) * 255);
  }
  return out;
}

function clamp8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

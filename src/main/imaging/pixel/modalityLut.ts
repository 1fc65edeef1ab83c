import type { DataSet } from 'dicom-parser';
import { firstItem, lookup, readLut, type DicomLut } from './dicomLut';

/** Stored values → modality values (e.g. HU): a Modality LUT Sequence, else Rescale Slope/Intercept. */
export type ModalityLut = { kind: 'table'; lut: DicomLut } | { kind: 'linear'; slope: number; intercept: number };

export function readModalityLut(ds: DataSet, signed: boolean): ModalityLut {
  const item = firstItem(ds, 'x00283000');
  const lut = item ? readLut(item, signed) : undefined;
  if (lut) return { kind: 'table', lut };
  const slope = ds.floatString('x00281053');
  const intercept = ds.floatString('x00281052');
  return {
    kind: 'linear',
    // A zero or missing slope would flatten the image; DICOM's default is 1. Negative slopes are kept.
    slope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
    intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
  };
}

export function applyModalityLut(stored: Int32Array, m: ModalityLut): Float32Array {
  const out = new Float32Array(stored.length);
  if (m.kind === 'table') {
    for (let i = 0; i < stored.length; i++) out[i] = lookup(m.lut, stored[i]!);
  } else {
    const { slope, intercept } = m;
    for (let i = 0; i < stored.length; i++) out[i] = stored[i]! * slope + intercept;
  }
  return out;
}

import type { DataSet } from 'dicom-parser';

/** A DICOM lookup table (Modality or VOI LUT Sequence item): PS3.3 C.11.1.1. */
export interface DicomLut {
  firstMapped: number;
  bits: number;
  data: Uint16Array;
}

/**
 * Reads LUT Descriptor (0028,3002) and LUT Data (0028,3006) from a sequence item. The first
 * mapped value is signed when the pixel data is; 0 entries means 65536.
 */
export function readLut(item: DataSet, signedInput: boolean): DicomLut | undefined {
  const desc = item.elements.x00283002;
  const dataEl = item.elements.x00283006;
  if (!desc || !dataEl || desc.length < 6) return undefined;
  const entries = item.uint16('x00283002', 0) || 65536;
  const firstMapped = signedInput ? (item.int16('x00283002', 1) ?? 0) : (item.uint16('x00283002', 1) ?? 0);
  const bits = item.uint16('x00283002', 2) ?? 16;
  const data = new Uint16Array(entries);
  const twoBytes = dataEl.length >= entries * 2;
  const n = Math.min(entries, twoBytes ? Math.floor(dataEl.length / 2) : dataEl.length);
  for (let i = 0; i < n; i++) {
    data[i] = twoBytes
      ? item.byteArrayParser.readUint16(item.byteArray, dataEl.dataOffset + i * 2)
      : item.byteArray[dataEl.dataOffset + i]!;
  }
  return { firstMapped, bits, data };
}

/** The first item of a sequence element, if any. */
export function firstItem(ds: DataSet, tag: string): DataSet | undefined {
  return ds.elements[tag]?.items?.[0]?.dataSet;
}

export function lookup(lut: DicomLut, x: number): number {
  const i = Math.round(x) - lut.firstMapped;
  return lut.data[i < 0 ? 0 : i >= lut.data.length ? lut.data.length - 1 : i]!;
}

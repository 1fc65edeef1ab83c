import type { DataSet } from 'dicom-parser';

/** One channel of a PALETTE COLOR lookup table, expanded (PS3.3 C.7.6.3.1.5-6, C.7.9). */
interface PaletteChannel {
  firstMapped: number;
  /** Nominal depth of an entry: 8 or 16. */
  bits: number;
  data: Uint16Array;
}

export interface Palette {
  red: PaletteChannel;
  green: PaletteChannel;
  blue: PaletteChannel;
}

const CHANNELS = [
  { name: 'red', desc: 'x00281101', data: 'x00281201', seg: 'x00281221' },
  { name: 'green', desc: 'x00281102', data: 'x00281202', seg: 'x00281222' },
  { name: 'blue', desc: 'x00281103', data: 'x00281203', seg: 'x00281223' },
] as const;

/**
 * The Red/Green/Blue Palette Color LUTs of a PALETTE COLOR image: plain (0028,120x) or
 * segmented (0028,122x) data, 8 or 16 bits an entry. Undefined when a channel is missing.
 */
export function readPalette(ds: DataSet, signedIndex: boolean): Palette | undefined {
  const out: Partial<Record<'red' | 'green' | 'blue', PaletteChannel>> = {};
  for (const c of CHANNELS) {
    const desc = ds.elements[c.desc];
    if (!desc || desc.length < 6) return undefined;
    const entries = ds.uint16(c.desc, 0) || 65536;
    const firstMapped = signedIndex ? (ds.int16(c.desc, 1) ?? 0) : (ds.uint16(c.desc, 1) ?? 0);
    const bits: 8 | 16 = ds.uint16(c.desc, 2) === 8 ? 8 : 16;
    const plain = ds.elements[c.data];
    const seg = ds.elements[c.seg];
    let data: Uint16Array | undefined;
    if (plain && plain.length > 0) data = plainLut(ds, plain.dataOffset, plain.length, entries, bits);
    else if (seg && seg.length > 0) data = expandSegmented(units(ds, seg.dataOffset, seg.length, bits), entries, bits);
    if (!data) return undefined;
    out[c.name] = { firstMapped, bits, data };
  }
  return out as Palette;
}

/** Reads `count` 16-bit words (or bytes, for 8-bit segmented data) in the dataset's byte order. */
function units(ds: DataSet, offset: number, length: number, bits: number): number[] {
  const out: number[] = [];
  if (bits === 8) {
    for (let i = 0; i < length; i++) out.push(ds.byteArray[offset + i]!);
  } else {
    for (let i = 0; i + 1 < length; i += 2) out.push(ds.byteArrayParser.readUint16(ds.byteArray, offset + i));
  }
  return out;
}

/**
 * A plain LUT. 8-bit tables come either as one byte an entry or (commonly) as 16-bit words;
 * in words the value sits in the low byte, or in the high byte for some writers, so words whose
 * values all exceed 8 bits are read from the high byte.
 */
function plainLut(ds: DataSet, offset: number, length: number, entries: number, bits: number): Uint16Array {
  const data = new Uint16Array(entries);
  if (bits === 8 && length < entries * 2) {
    for (let i = 0; i < Math.min(entries, length); i++) data[i] = ds.byteArray[offset + i]!;
    return data;
  }
  const words = units(ds, offset, Math.min(length, entries * 2), 16);
  data.set(words.slice(0, entries));
  if (bits === 8 && data.some((v) => v > 255)) for (let i = 0; i < data.length; i++) data[i] = data[i]! >> 8;
  return data;
}

/**
 * Expands a segmented LUT (PS3.3 C.7.9.2): discrete (0: n values), linear (1: n steps from the
 * last value to y1) and indirect (2: n segments again, from a unit offset) segments.
 */
export function expandSegmented(u: number[], entries: number, unitBits: 8 | 16): Uint16Array {
  const lut: number[] = [];
  const expand = (start: number, maxSegments: number, depth: number): void => {
    if (depth > 8) throw new Error('segmented palette: indirect segments nest too deeply');
    let p = start;
    let segments = 0;
    while (p + 1 < u.length && segments < maxSegments && lut.length < entries) {
      const op = u[p]!;
      const n = u[p + 1]!;
      p += 2;
      if (op === 0) {
        for (let i = 0; i < n && p + i < u.length; i++) lut.push(u[p + i]!);
        p += n;
      } else if (op === 1) {
        const y0 = lut.length > 0 ? lut[lut.length - 1]! : 0;
        const y1 = u[p++]!;
        for (let i = 1; i <= n; i++) lut.push(Math.round(y0 + ((y1 - y0) * i) / n));
      } else if (op === 2) {
        // The offset (in units) is 32 bits: LSW then MSW in 16-bit data, four bytes in 8-bit data.
        let offset: number;
        if (unitBits === 8) {
          offset = (u[p] ?? 0) + (u[p + 1] ?? 0) * 2 ** 8 + (u[p + 2] ?? 0) * 2 ** 16 + (u[p + 3] ?? 0) * 2 ** 24;
          p += 4;
        } else {
          offset = (u[p] ?? 0) + (u[p + 1] ?? 0) * 2 ** 16;
          p += 2;
        }
        expand(offset, n, depth + 1);
      } else {
        throw new Error(`segmented palette: unknown segment type ${op}`);
      }
      segments++;
    }
  };
  expand(0, Infinity, 0);
  const out = new Uint16Array(entries);
  for (let i = 0; i < entries; i++) out[i] = lut[Math.min(i, lut.length - 1)] ?? 0;
  return out;
}

/**
 * Indices through the palette, to interleaved RGB (16-bit containers), and the largest value an
 * entry can take (255 or 65535) so the caller can scale to 8 bits. Indices below the first
 * mapped value take the first entry, above the last the last (PS3.3 C.7.6.3.1.5).
 */
export function paletteToRgb(indices: Int32Array, palette: Palette): { rgb: Uint16Array; maxValue: number } {
  const rgb = new Uint16Array(indices.length * 3);
  const chans = [palette.red, palette.green, palette.blue];
  chans.forEach((ch, c) => {
    const last = ch.data.length - 1;
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i]! - ch.firstMapped;
      rgb[i * 3 + c] = ch.data[k < 0 ? 0 : k > last ? last : k]!;
    }
  });
  let maxValue = 255;
  for (const ch of chans) {
    if (ch.bits === 16) maxValue = 65535;
    else for (const v of ch.data) if (v > 255) maxValue = 65535;
  }
  return { rgb, maxValue };
}

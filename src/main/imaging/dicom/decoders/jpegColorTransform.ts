/**
 * Whether a 3-component JPEG stream holds YCbCr (so decoding must turn it into RGB) or RGB as is,
 * read from the stream's own markers, in the order ITU-T T.872 / ISO 10918-6 gives them weight:
 * an Adobe APP14 marker's transform flag says it outright (0: no transform, RGB as stored; 1:
 * YCbCr), whatever else the stream holds (libjpeg-turbo lets a JFIF marker win over it, and so
 * would turn RGB into nonsense); else a JFIF marker means YCbCr; else component ids 'R','G','B'
 * mean RGB. A stream with none of these is YCbCr by the JPEG default, unless the DICOM
 * photometric says RGB and no component is subsampled: then it is RGB as stored, as dcmtk and
 * GDCM read it. Chroma subsampling only makes sense for YCbCr, so a subsampled stream labelled
 * RGB (the GDCM lossy sample) is still YCbCr. Undefined for a stream it cannot read up to the
 * frame header.
 */
export function jpegNeedsColorTransform(stream: Uint8Array, photometric?: string): boolean | undefined {
  if (stream.length < 4 || stream[0] !== 0xff || stream[1] !== 0xd8) return undefined;
  let adobeTransform: number | undefined;
  let jfif = false;
  let ids: number[] | undefined;
  let sampling: number[] = [];
  let p = 2;
  while (p + 4 <= stream.length) {
    if (stream[p] !== 0xff) return undefined;
    const marker = stream[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    const len = (stream[p + 2]! << 8) | stream[p + 3]!;
    const body = p + 4;
    if (marker === 0xe0 && len >= 7 && ascii(stream, body, 5) === 'JFIF\0') jfif = true;
    if (marker === 0xee && len >= 14 && ascii(stream, body, 5) === 'Adobe') adobeTransform = stream[body + 11];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): the frame header with the component ids.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const n = stream[body + 5] ?? 0;
      ids = [];
      sampling = [];
      for (let c = 0; c < n; c++) {
        ids.push(stream[body + 6 + c * 3] ?? 0);
        sampling.push(stream[body + 7 + c * 3] ?? 0);
      }
    }
    if (marker === 0xda) break; // start of scan: every header marker has been seen
    p += 2 + len;
  }
  if (!ids) return undefined;
  if (ids.length !== 3) return false;
  if (adobeTransform !== undefined) return adobeTransform !== 0;
  if (jfif) return true;
  if (ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42) return false;
  if (photometric === 'RGB' && sampling.every((f) => f === sampling[0])) return false;
  return true;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n));
}

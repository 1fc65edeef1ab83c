import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { buildDicom, grayImage, type El } from '../../../../test/helpers/buildDicom';
import { readDicomImage } from '../dicom/dicomImage';
import { parseDicom } from '../dicom/parseDicom';
import { storedValues } from '../pixel/storedValues';
import { applyModalityLut, readModalityLut } from '../pixel/modalityLut';
import { applyVoi, readVoi } from '../pixel/voiLut';
import { colorToGray } from '../pixel/colorToGray';

const DICOM = path.join(SHARED_DATA, 'dicom');
const fromBytes = (bytes: Uint8Array) => readDicomImage('synthetic.dcm', bytes);

describe('BitsStored/HighBit masking and signed PixelRepresentation', () => {
  it('drops bits above HighBit (overlay bits) and shifts by HighBit-BitsStored+1', async () => {
    // 12 bits stored at bits 13..2, garbage in bits 15..14 and 1..0.
    const stored = [0, 1, 2047, 4095];
    const px = new Uint16Array(stored.map((v, i) => (v << 2) | (i % 2 ? 0xc000 : 0x4003)));
    const d = await fromBytes(buildDicom(grayImage({ rows: 2, cols: 2, pixels: px, bitsStored: 12, highBit: 13 })));
    const values = storedValues(d.frame.samples, { bitsStored: 12, highBit: 13, signed: false, containerBits: 16 });
    expect(Array.from(values)).toEqual(stored);
  });

  it('reads the top stored bit as the sign when PixelRepresentation is 1', async () => {
    // 12-bit two's complement in a 16-bit container: 0xFFF is -1, 0x800 is -2048.
    const px = new Uint16Array([0x0fff, 0x0800, 0x07ff, 0x0000]);
    const d = await fromBytes(buildDicom(grayImage({ rows: 2, cols: 2, pixels: px, bitsStored: 12, signed: true })));
    expect(Array.from(storedValues(d.frame.samples, { bitsStored: 12, highBit: 11, signed: true, containerBits: 16 }))).toEqual([-1, -2048, 2047, 0]);
  });

  it('CT_small (signed 16-bit) reads as signed with its stored range intact (128..2191)', async () => {
    const d = await readDicomImage(path.join(DICOM, 'CT_small.dcm'));
    expect(d.tags.pixelRepresentation).toBe(1);
    const v = storedValues(d.frame.samples, { bitsStored: 16, highBit: 15, signed: true, containerBits: 16 });
    let min = Infinity;
    let max = -Infinity;
    for (const x of v) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect([min, max]).toEqual([128, 2191]);
    // The same data masked to 8 bits would lose everything above 255: the rule keeps BitsStored.
    const wrong = storedValues(d.frame.samples, { bitsStored: 8, highBit: 7, signed: false, containerBits: 16 });
    expect(Math.max(...wrong)).toBeLessThanOrEqual(255);
  });
});

describe('modality LUT', () => {
  it('applies CT_small rescale (slope 1, intercept -1024) to Hounsfield units', async () => {
    const d = await readDicomImage(path.join(DICOM, 'CT_small.dcm'));
    const stored = storedValues(d.frame.samples, { bitsStored: 16, highBit: 15, signed: true, containerBits: 16 });
    const m = readModalityLut(d.ds, true);
    expect(m).toEqual({ kind: 'linear', slope: 1, intercept: -1024 });
    const hu = applyModalityLut(stored, m);
    expect(hu[100]).toBe(stored[100]! - 1024);
  });

  it('keeps a negative slope: higher stored values map to lower modality values', async () => {
    const px = new Uint16Array([0, 100, 200, 300]);
    const els = grayImage({ rows: 2, cols: 2, pixels: px, bitsStored: 12 }, [
      { tag: 0x00281052, vr: 'DS', value: '1000' },
      { tag: 0x00281053, vr: 'DS', value: '-2' },
    ]);
    const d = await fromBytes(buildDicom(els));
    const m = readModalityLut(d.ds, false);
    expect(m).toEqual({ kind: 'linear', slope: -2, intercept: 1000 });
    expect(Array.from(applyModalityLut(new Int32Array([0, 100, 200, 300]), m))).toEqual([1000, 800, 600, 400]);
    // With an auto window the ordering survives to the display: stored 0 is now the brightest.
    expect(d.image.data[0]!).toBeGreaterThan(d.image.data[3]!);
  });

  it('uses a Modality LUT Sequence over rescale when both are present', async () => {
    const lutData = new Uint16Array([500, 400, 300, 200]);
    const seq: El = {
      tag: 0x00283000,
      vr: 'SQ',
      value: [{ elements: [{ tag: 0x00283002, vr: 'US', value: [4, 10, 16] }, { tag: 0x00283006, vr: 'OW', value: lutData }] }],
    };
    const els = grayImage({ rows: 2, cols: 2, pixels: new Uint16Array([10, 11, 12, 13]), bitsStored: 12 }, [
      { tag: 0x00281053, vr: 'DS', value: '7' },
      seq,
    ]);
    const d = await fromBytes(buildDicom(els));
    const m = readModalityLut(d.ds, false);
    expect(m.kind).toBe('table');
    expect(Array.from(applyModalityLut(new Int32Array([10, 11, 12, 13, 5, 99]), m))).toEqual([500, 400, 300, 200, 500, 200]);
  });
});

describe('VOI', () => {
  const ramp = new Uint16Array([0, 1000, 2000, 3000]);

  it('MR_small: Window Center 600 / Width 1600 (LINEAR) puts 600 at mid-gray', async () => {
    const d = await readDicomImage(path.join(DICOM, 'MR_small_RLE.dcm'));
    const voi = readVoi(d.ds, false);
    expect(voi).toEqual({ kind: 'window', center: 600, width: 1600, fn: 'LINEAR' });
    expect(Array.from(applyVoi(new Float32Array([-200, 600, 1400]), voi))).toEqual([0, 128, 255]);
  });

  it('takes the first of several Window Center/Width values', async () => {
    const els = grayImage({ rows: 2, cols: 2, pixels: ramp, bitsStored: 12 }, [
      { tag: 0x00281050, vr: 'DS', value: '1500\\400' },
      { tag: 0x00281051, vr: 'DS', value: '3000\\100' },
    ]);
    const d = await fromBytes(buildDicom(els));
    expect(readVoi(d.ds, false)).toMatchObject({ center: 1500, width: 3000 });
    expect(d.image.data[0]!).toBeLessThan(d.image.data[3]!);
    expect(d.image.data[1]!).toBeGreaterThan(0); // with the second window (400/100) it would be 255
  });

  it('applies VOILUTFunction SIGMOID', async () => {
    const els = grayImage({ rows: 2, cols: 2, pixels: ramp, bitsStored: 12 }, [
      { tag: 0x00281050, vr: 'DS', value: '1000' },
      { tag: 0x00281051, vr: 'DS', value: '2000' },
      { tag: 0x00281056, vr: 'CS', value: 'SIGMOID' },
    ]);
    const d = await fromBytes(buildDicom(els));
    expect(d.steps.voi).toBe('window');
    // y = 255 / (1 + exp(-4 (x - c) / w)): x = c gives 127.5, x = c + w/2 gives 255/(1+e^-2).
    expect(d.image.data[1]).toBe(128);
    expect(d.image.data[2]).toBe(Math.round(255 / (1 + Math.exp(-2))));
    expect(d.image.data[0]).toBe(Math.round(255 / (1 + Math.exp(2))));
  });

  it('prefers a VOI LUT Sequence over the window', async () => {
    const seq: El = {
      tag: 0x00283010,
      vr: 'SQ',
      value: [{ elements: [{ tag: 0x00283002, vr: 'US', value: [4, 0, 8] }, { tag: 0x00283006, vr: 'OW', value: new Uint16Array([255, 0, 128, 64]) }] }],
    };
    const els = grayImage({ rows: 2, cols: 2, pixels: new Uint16Array([0, 1, 2, 3]), bitsStored: 12 }, [
      { tag: 0x00281050, vr: 'DS', value: '2' },
      { tag: 0x00281051, vr: 'DS', value: '4' },
      seq,
    ]);
    const d = await fromBytes(buildDicom(els));
    expect(d.steps.voi).toBe('lut');
    expect(Array.from(d.image.data)).toEqual([255, 0, 128, 64]);
  });

  it('without any VOI, windows automatically from the histogram (the NIH DX spans the gray range)', async () => {
    const d = await readDicomImage(path.join(DICOM, 'nih_cxr14_chest_DX.dcm'));
    expect(d.steps.voi).toBe('auto');
    const hist = new Uint32Array(256);
    for (const v of d.image.data) hist[v]!++;
    // Percentile window: about 0.5 % clipped at each end, not a washed-out middle.
    const n = d.image.data.length;
    expect(hist[0]! / n).toBeLessThan(0.02);
    expect(hist[255]! / n).toBeLessThan(0.02);
    expect(hist.slice(0, 32).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(hist.slice(224).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});

describe('colour to gray', () => {
  it('handles interleaved and planar RGB alike', () => {
    const inter = new Uint8Array([255, 0, 0, 0, 255, 0]);
    const planar = new Uint8Array([255, 0, 0, 255, 0, 0]);
    const a = colorToGray(inter, { width: 2, height: 1, planar: false, colorSpace: 'RGB', maxValue: 255 });
    const b = colorToGray(planar, { width: 2, height: 1, planar: true, colorSpace: 'RGB', maxValue: 255 });
    expect(Array.from(a)).toEqual([76, 150]);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('takes luma from YBR_FULL planar data', async () => {
    // Y plane 10,20,30,40 then Cb and Cr planes.
    const px = new Uint8Array([10, 20, 30, 40, 128, 128, 128, 128, 200, 200, 200, 200]);
    const els = grayImage({ rows: 2, cols: 2, pixels: px, bitsAllocated: 8, photometric: 'YBR_FULL' }, [
      { tag: 0x00280002, vr: 'US', value: 3 },
      { tag: 0x00280006, vr: 'US', value: 1 },
    ]);
    const d = await fromBytes(buildDicom(els));
    expect(d.steps.color).toBe(true);
    expect(Array.from(d.image.data)).toEqual([10, 20, 30, 40]);
  });

  it('the YBR_FULL JPEG sample and the RGB JPEG sample give the same gray picture', async () => {
    const a = await readDicomImage(path.join(DICOM, 'SC_rgb_jpeg_dcmtk.dcm'));
    const b = await readDicomImage(path.join(DICOM, 'SC_rgb_jpeg_lossy_gdcm.dcm'));
    let sum = 0;
    for (let i = 0; i < a.image.data.length; i++) sum += Math.abs(a.image.data[i]! - b.image.data[i]!);
    expect(sum / a.image.data.length).toBeLessThan(4);
  });
});

describe('transfer syntaxes and layouts', () => {
  it('reads explicit VR big endian pixel data with the bytes swapped', async () => {
    const px = new Uint16Array([1, 256, 1000, 4000]);
    const le = await fromBytes(buildDicom(grayImage({ rows: 2, cols: 2, pixels: px, bitsStored: 12 })));
    const be = await fromBytes(buildDicom(grayImage({ rows: 2, cols: 2, pixels: px, bitsStored: 12 }), { bigEndian: true }));
    expect(be.tags.transferSyntax).toBe('1.2.840.10008.1.2.2');
    expect(Array.from(be.frame.samples)).toEqual(Array.from(px));
    expect(Array.from(be.image.data)).toEqual(Array.from(le.image.data));
  });

  it('reads a raw dataset with no preamble or meta header', async () => {
    const d = await fromBytes(buildDicom(grayImage({ rows: 2, cols: 2, pixels: new Uint16Array([0, 1, 2, 3]), bitsStored: 12 }), { raw: true }));
    expect(Array.from(d.frame.samples)).toEqual([0, 1, 2, 3]);
  });

  it('reads the deflated sample through zlib', async () => {
    const d = await readDicomImage(path.join(DICOM, 'image_dfl.dcm'));
    expect(d.tags.transferSyntax).toBe('1.2.840.10008.1.2.1.99');
    expect(d.image.width).toBe(512);
  });

  it('renders frame 0 of a multi-frame image', async () => {
    const px = new Uint16Array([0, 4095, 0, 4095, 4095, 0, 4095, 0]);
    const els = grayImage({ rows: 2, cols: 2, pixels: px, bitsStored: 12 }, [{ tag: 0x00280008, vr: 'IS', value: '2' }]);
    const d = await fromBytes(buildDicom(els));
    expect(d.tags.frames).toBe(2);
    expect(Array.from(d.frame.samples)).toEqual([0, 4095, 0, 4095]);
  });

  it('refuses pixel data shorter than the image it declares, naming both sizes', async () => {
    const els = grayImage({ rows: 100, cols: 100, pixels: new Uint16Array(10), bitsStored: 12 });
    await expect(fromBytes(buildDicom(els))).rejects.toThrow(/truncated: frame needs 20000 bytes, the file holds 20/);
  });

  it('rejects a file that is not DICOM with a parse reason, not a crash', async () => {
    const junk = new Uint8Array(300).fill(7);
    junk.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(() => parseDicom(junk, 'junk.dcm')).toThrow(/junk.dcm: not a readable DICOM dataset/);
  });
});

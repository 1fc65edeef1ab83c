import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface DcmjsContext {
  getDecodedBuffer(): Uint8Array | undefined;
  getWidth(): number | undefined;
  getHeight(): number | undefined;
}
interface DcmjsCodecsModule {
  Context: new (attrs: Record<string, unknown>) => DcmjsContext;
  NativeCodecs: {
    initializeAsync(opts?: { logCodecsInfo?: boolean; logCodecsTrace?: boolean }): Promise<void>;
    isInitialized(): boolean;
    decodeJpeg(ctx: DcmjsContext, params?: { convertColorspaceToRgb?: boolean }): DcmjsContext;
    decodeRle(ctx: DcmjsContext, params?: Record<string, unknown>): DcmjsContext;
  };
}

let ready: Promise<DcmjsCodecsModule> | undefined;

function load(): Promise<DcmjsCodecsModule> {
  ready ??= (async () => {
    const m = require('dcmjs-codecs') as DcmjsCodecsModule;
    if (!m.NativeCodecs.isInitialized()) await m.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
    return m;
  })();
  return ready;
}

export interface FrameGeometry {
  width: number;
  height: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometric: string;
}

/**
 * dcmjs-codecs' libjpeg build: the one maintained decoder here that reads JPEG extended 12-bit
 * (.51) as well as JPEG lossless (.57/.70); also its RLE decoder. Output is little-endian,
 * bitsAllocated-wide samples.
 */
export async function decodeDcmjs(kind: 'jpeg' | 'rle', encoded: Uint8Array, g: FrameGeometry): Promise<Uint8Array> {
  const m = await load();
  const ctx = new m.Context({
    width: g.width,
    height: g.height,
    bitsAllocated: g.bitsAllocated,
    bitsStored: g.bitsStored,
    samplesPerPixel: g.samplesPerPixel,
    pixelRepresentation: g.pixelRepresentation,
    planarConfiguration: g.planarConfiguration,
    photometricInterpretation: g.photometric,
    encodedBuffer: encoded,
  });
  const out = kind === 'jpeg' ? m.NativeCodecs.decodeJpeg(ctx, { convertColorspaceToRgb: false }) : m.NativeCodecs.decodeRle(ctx, {});
  const bytes = out.getDecodedBuffer();
  if (!bytes || bytes.length === 0) throw new Error(`${kind} decoder returned no pixels`);
  return bytes;
}

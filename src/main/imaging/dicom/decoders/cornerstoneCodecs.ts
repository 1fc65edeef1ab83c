import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The part of a cornerstone WASM decoder class that import uses (they share one shape). */
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
type DecoderClass = new () => WasmDecoder;
type Factory = (opts: { print: (s: string) => void; printErr: (s: string) => void }) => Promise<Record<string, unknown>>;

export type CornerstoneCodec = 'jpeg-ls' | 'jpeg2000' | 'jpeg-baseline';

const MODULES: Record<CornerstoneCodec, { pkg: string; cls: string }> = {
  'jpeg-ls': { pkg: '@cornerstonejs/codec-charls/decodewasmjs', cls: 'JpegLSDecoder' },
  jpeg2000: { pkg: '@cornerstonejs/codec-openjpeg/decodewasmjs', cls: 'J2KDecoder' },
  'jpeg-baseline': { pkg: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', cls: 'JPEGDecoder' },
};

const loaded = new Map<CornerstoneCodec, Promise<DecoderClass>>();

function load(codec: CornerstoneCodec): Promise<DecoderClass> {
  let p = loaded.get(codec);
  if (!p) {
    const { pkg, cls } = MODULES[codec];
    const factory = require(pkg) as Factory;
    // OpenJPEG prints [INFO] lines to stdout, which would corrupt the CLI's --json output.
    p = factory({ print: () => {}, printErr: () => {} }).then((m) => m[cls] as DecoderClass);
    loaded.set(codec, p);
  }
  return p;
}

export interface CodecOutput {
  /** Little-endian samples: one byte each when bitsPerSample ≤ 8, else two. Interleaved colour. */
  bytes: Uint8Array;
  width: number;
  height: number;
  bitsPerSample: number;
  components: number;
}

/** Decodes one compressed frame with a cornerstone codec; the WASM memory is freed either way. */
export async function decodeCornerstone(codec: CornerstoneCodec, encoded: Uint8Array): Promise<CodecOutput> {
  const Decoder = await load(codec);
  const d = new Decoder();
  try {
    d.getEncodedBuffer(encoded.length).set(encoded);
    d.decode();
    const info = d.getFrameInfo();
    // Copy out of the WASM heap before delete() frees it.
    const bytes = d.getDecodedBuffer().slice();
    return { bytes, width: info.width, height: info.height, bitsPerSample: info.bitsPerSample, components: info.componentCount };
  } finally {
    d.delete();
  }
}

import sharp from 'sharp';

/** An 8-bit grayscale image, row-major, one byte per pixel (what DICOM windowing or a decoder gives). */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** How a model wants its input; stored in the model card so inference repeats training exactly. */
export interface PreprocessSpec {
  /** Side of the square the whole image is resized to (never padded: shape must not leak the class). */
  size: number;
  /** 3 = the gray plane replicated (ImageNet-style input), 1 = gray only. */
  channels: 1 | 3;
}

export const PREPROCESSING_DESCRIPTION =
  'decode, 8-bit grayscale (luminance), resize the whole image to a square (Lanczos3, aspect ratio not kept, no padding), scale to [0,1], replicate to the model channels';

export class PreprocessError extends Error {
  override name = 'PreprocessError';
  constructor(source: string, reason: string) {
    super(`${source}: ${reason}`);
  }
}

/**
 * Grayscale → resize to size×size (fill: stretches, never pads) as 8-bit. Used by the training
 * cache (at the augmentation size) and by `preprocess` (at the input size).
 */
export async function resizeGray(image: GrayImage | string, size: number): Promise<Uint8Array> {
  const source = typeof image === 'string' ? image : `${image.width}x${image.height} buffer`;
  try {
    // A file is decoded in full first: sharp's JPEG shrink-on-load would otherwise resample files
    // differently from buffers (DICOM frames), and training, eval and inference must agree.
    const gray =
      typeof image === 'string'
        ? await sharp(image).rotate().grayscale().raw().toBuffer({ resolveWithObject: true })
        : { data: image.data, info: { width: image.width, height: image.height, channels: 1 } };
    const input = sharp(gray.data, { raw: { width: gray.info.width, height: gray.info.height, channels: gray.info.channels as 1 } });
    const { data, info } = await input
      .grayscale()
      .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    // grayscale() on an image with alpha may still give 2 channels: keep the first.
    if (info.channels === 1) return new Uint8Array(data.buffer, data.byteOffset, data.length);
    const out = new Uint8Array(size * size);
    for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]!;
    return out;
  } catch (err) {
    throw new PreprocessError(source, err instanceof Error ? err.message : String(err));
  }
}

/** [0,255] gray plane → [0,1] float, HWC with the gray value in every channel. */
export function grayToInput(gray: Uint8Array, channels: 1 | 3, out = new Float32Array(gray.length * channels)): Float32Array {
  for (let i = 0, o = 0; i < gray.length; i++) {
    const v = gray[i]! / 255;
    for (let c = 0; c < channels; c++) out[o++] = v;
  }
  return out;
}

/** The one preprocessing for training, evaluation and inference: returns size×size×channels floats. */
export async function preprocess(image: GrayImage | string, spec: PreprocessSpec): Promise<Float32Array> {
  return grayToInput(await resizeGray(image, spec.size), spec.channels);
}

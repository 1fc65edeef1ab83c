/** Why a file could not be read or decoded; `code` is stable, `message` is readable and PHI-free. */
export type ImagingErrorCode =
  | 'unreadable'
  | 'not_dicom'
  | 'parse_failed'
  | 'undecodable'
  | 'unsupported_transfer_syntax'
  | 'too_large'
  | 'no_pixel_data';

export class ImagingError extends Error {
  constructor(
    readonly file: string,
    readonly code: ImagingErrorCode,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImagingError';
  }
}

/** Turns whatever a parser or codec threw (often a bare string) into a short readable reason. */
export function describeThrown(err: unknown): string {
  // Emscripten codecs throw a bare number (a pointer to their C++ exception).
  if (typeof err === 'number') return `the codec aborted (internal error ${err})`;
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

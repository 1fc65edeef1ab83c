/** Error codes that cross IPC. The renderer switches on `code`, never on message text. */
export const ERROR_CODES = [
  'INVALID_PAYLOAD',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN_SENDER',
  'NOT_FOUND',
  'BUSY',
  'CANCELLED',
  'BAD_INPUT',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface IpcErrorShape {
  code: ErrorCode;
  message: string;
  /** Schema issues for INVALID_PAYLOAD: where and what. */
  issues?: { path: string; message: string }[];
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcErrorShape };

/** A typed error: thrown by services, carried over IPC as IpcErrorShape, re-thrown in the renderer. */
export class CxrError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'CxrError';
  }

  toShape(): IpcErrorShape {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }
}

import { CxrError } from '../../shared/errors';
import type { PacsFailureKind } from '../../shared/pacs';

/**
 * A PACS exchange that failed, with what failed (`kind`) for the connection test and the UI.
 * Messages name the server (host:port, never credentials) and never hold patient data.
 */
export class PacsError extends CxrError {
  constructor(
    readonly kind: PacsFailureKind,
    message: string,
  ) {
    super(kind === 'cancelled' ? 'CANCELLED' : kind === 'bad_config' ? 'BAD_INPUT' : 'INTERNAL', message);
    this.name = 'PacsError';
  }
}

/** host:port of a URL, for messages (no user, password or path). */
export function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return u.host;
  } catch {
    return 'the configured server';
  }
}

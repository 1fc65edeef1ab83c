/**
 * The part of XMLHttpRequest that dicomweb-client uses, over Node's fetch. dicomweb-client is the
 * DICOMweb client OHIF and Slim use (URLs, query parameters, Accept headers, multipart encode and
 * decode), but it only knows XHR, which Node lacks; it takes a request object per call, so each
 * call gets one of these. It adds what a workstation needs from the transport: an idle timeout,
 * cancellation, a byte limit, and the network failure kept (DNS, refused, reset) instead of XHR's
 * bare status 0.
 */

export type TransportFailureKind = 'dns' | 'refused' | 'timeout' | 'cancelled' | 'reset' | 'tls' | 'too_large' | 'network';

export interface TransportFailure {
  kind: TransportFailureKind;
  message: string;
  /** Bytes of the body read before it failed. */
  bytes: number;
}

export interface FetchXhrOptions {
  /** No byte (or no headers) for this long fails the request as a timeout. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** A response body above this is refused (a PACS answering with something else than one instance). */
  maxBytes?: number;
  onBytes?(bytes: number): void;
}

function classify(err: unknown, timedOut: boolean, cancelled: boolean): { kind: TransportFailureKind; message: string } {
  if (cancelled) return { kind: 'cancelled', message: 'cancelled' };
  if (timedOut) return { kind: 'timeout', message: 'no answer in time' };
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', message: `host name not found (${code})` };
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: 'connection refused (nothing listens on that port)' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { kind: 'reset', message: `connection closed mid-transfer (${code})` };
  if (/CERT|SSL|TLS/.test(code)) return { kind: 'tls', message: `TLS failed (${code})` };
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  if (/terminated|other side closed|premature/i.test(message)) return { kind: 'reset', message: `connection closed mid-transfer (${message})` };
  return { kind: 'network', message: code ? `${message} (${code})` : message };
}

export class FetchXhr {
  readyState = 0;
  status = 0;
  responseType: '' | 'arraybuffer' | 'json' | 'text' = '';
  response: unknown = null;
  withCredentials = false;
  onreadystatechange: (() => void) | null = null;
  onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null = null;
  onloadstart: (() => void) | null = null;
  onloadend: (() => void) | null = null;
  /** Set when the request failed below HTTP: dicomweb-client then sees status 0. */
  failure: TransportFailure | null = null;
  /** Set when a JSON body did not parse. */
  jsonError: string | null = null;
  private method = 'GET';
  private url = '';
  private readonly headers: Record<string, string> = {};
  private responseHeaders = new Headers();

  constructor(private readonly opts: FetchXhrOptions) {
    this.handlerFailed = new Promise<never>((_, reject) => (this.failHandler = reject));
    this.handlerFailed.catch(() => {});
  }

  open(method: string, url: string): void {
    this.method = method.toUpperCase();
    this.url = url;
    this.readyState = 1;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  getResponseHeader(name: string): string | null {
    return this.responseHeaders.get(name);
  }

  getAllResponseHeaders(): string {
    return [...this.responseHeaders.entries()].map(([k, v]) => `${k}: ${v}`).join('\r\n');
  }

  /**
   * Rejects when dicomweb-client's own handler throws on the answer (its multipart decoder does,
   * on a broken message): XHR would swallow that, leaving its promise pending for ever.
   */
  readonly handlerFailed: Promise<never>;
  private failHandler!: (err: unknown) => void;

  send(body?: ArrayBuffer | Uint8Array | string | null): void {
    this.onloadstart?.();
    void this.run(body ?? undefined).finally(() => {
      this.readyState = 4;
      try {
        this.onreadystatechange?.();
        this.onloadend?.();
      } catch (err) {
        this.failHandler(err);
      }
    });
  }

  private async run(body: ArrayBuffer | Uint8Array | string | undefined): Promise<void> {
    const ctl = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, this.opts.idleTimeoutMs);
    };
    const outer = this.opts.signal;
    const onOuterAbort = () => ctl.abort();
    if (outer?.aborted) ctl.abort();
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let bytes = 0;
    try {
      arm();
      const res = await fetch(this.url, {
        method: this.method,
        headers: this.headers,
        body: body as RequestInit['body'],
        signal: ctl.signal,
        redirect: 'follow',
      });
      this.responseHeaders = res.headers;
      const declared = Number(res.headers.get('content-length') ?? NaN);
      const encoded = Boolean(res.headers.get('content-encoding'));
      const max = this.opts.maxBytes ?? Infinity;
      if (!encoded && declared > max) {
        await res.body?.cancel();
        this.failure = { kind: 'too_large', message: `the answer is ${declared} bytes, over the ${max} byte limit`, bytes: 0 };
        return;
      }
      const chunks: Uint8Array[] = [];
      if (res.body) {
        const reader = res.body.getReader();
        for (;;) {
          arm();
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          if (bytes > max) {
            await reader.cancel();
            this.failure = { kind: 'too_large', message: `the answer passed the ${max} byte limit`, bytes };
            return;
          }
          chunks.push(value);
          this.opts.onBytes?.(value.byteLength);
          this.onprogress?.({ loaded: bytes, total: Number.isFinite(declared) ? declared : 0, lengthComputable: Number.isFinite(declared) });
        }
      }
      // A compressed body's declared length is the compressed one; fetch hands on the inflated bytes.
      if (Number.isFinite(declared) && !encoded && bytes < declared) {
        this.failure = { kind: 'reset', message: `connection closed after ${bytes} of ${declared} bytes`, bytes };
        return;
      }
      const buf = new Uint8Array(bytes);
      let off = 0;
      for (const c of chunks) {
        buf.set(c, off);
        off += c.byteLength;
      }
      this.status = res.status;
      if (this.responseType === 'json') {
        const text = new TextDecoder().decode(buf);
        try {
          this.response = text.length ? JSON.parse(text) : null;
        } catch (err) {
          this.jsonError = err instanceof Error ? err.message : String(err);
          this.response = null;
        }
      } else if (this.responseType === 'arraybuffer') this.response = buf.buffer;
      else this.response = new TextDecoder().decode(buf);
    } catch (err) {
      const c = classify(err, timedOut, outer?.aborted ?? false);
      this.failure = { ...c, bytes };
      this.status = 0;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }
}

/**
 * The renderer is served on a custom privileged scheme (`app://renderer/…`) through
 * `protocol.handle`, never from file://. This module holds the parts free of 'electron': the scheme,
 * the entry URL, and the mapping of a request URL to a file inside the renderer build folder, so a
 * test can check that no URL reaches outside that folder.
 */
import fs from 'node:fs';
import path from 'node:path';

export const RENDERER_SCHEME = 'app';
export const RENDERER_HOST = 'renderer';
export const RENDERER_ENTRY_URL = `${RENDERER_SCHEME}://${RENDERER_HOST}/index.html`;

/** The privileges the scheme is registered with before `app.ready` (standard: an origin for CSP 'self'). */
export const RENDERER_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true } as const;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function rendererMimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file inside `rendererDir` that `requestUrl` names, or null when the URL is not
 * `app://renderer/…` or its path would leave the folder (`..`, encoded `%2e%2e`/`%2f`/`%5c`,
 * a NUL, a drive letter or UNC name). `/` serves index.html. Pure: no file system access.
 */
export function resolveRendererPath(rendererDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${RENDERER_SCHEME}:` || url.host !== RENDERER_HOST || url.username || url.password) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(rel) || /^\/*[a-zA-Z]:/.test(rel)) return null;
  const segments = rel.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  if (segments.length === 0) segments.push('index.html');
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, ...segments);
  const inside = path.relative(root, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return null;
  return file;
}

/**
 * The same check against the real file system: the resolved file, its symlinks followed, must still
 * lie inside the (real) renderer folder and be a plain file. Null otherwise.
 */
export function realRendererFile(rendererDir: string, requestUrl: string): string | null {
  const file = resolveRendererPath(rendererDir, requestUrl);
  if (!file) return null;
  try {
    const root = fs.realpathSync(rendererDir);
    const real = fs.realpathSync(file);
    const inside = path.relative(root, real);
    if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return null;
    return fs.statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

/** The `protocol.handle` callback: the file's bytes with its type, 404 for anything refused or missing. */
export function rendererHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const file = realRendererFile(rendererDir, request.url);
    if (!file || request.method !== 'GET') return new Response('Not found', { status: 404 });
    const body = await fs.promises.readFile(file);
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: { 'content-type': rendererMimeType(file), 'x-content-type-options': 'nosniff' },
    });
  };
}

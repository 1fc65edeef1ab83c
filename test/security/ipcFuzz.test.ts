import { afterAll, describe, expect, it } from 'vitest';
import fs, { readFileSync } from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { createHandlers } from '../../src/main/ipc/handlers';
import { CHANNELS } from '../../src/shared/contract';
import { ERROR_CODES } from '../../src/shared/errors';
import { tempServices } from '../helpers/tempServices';
import { hostilePayload, mulberry32 } from './hostilePayloads';

const PER_CHANNEL = 500;
const repoRoot = path.resolve(import.meta.dirname, '../..');

// Record every path the process opens for reading while the payloads run. Patching the CJS fs
// object and syncing the ESM exports covers both `fs.readFileSync` and `import { readFileSync }`.
const opened: string[] = [];
const patched: [object, string, unknown][] = [];
function watch(obj: Record<string, unknown>, name: string): void {
  const orig = obj[name] as (...a: unknown[]) => unknown;
  patched.push([obj, name, orig]);
  obj[name] = function (this: unknown, p: unknown, ...rest: unknown[]) {
    if (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) opened.push(String(p));
    return orig.call(this, p, ...rest);
  };
}
for (const name of ['readFileSync', 'readFile', 'openSync', 'open', 'createReadStream', 'readdirSync', 'readdir', 'opendirSync', 'opendir']) {
  watch(fs as unknown as Record<string, unknown>, name);
}
for (const name of ['readFile', 'open', 'readdir', 'opendir']) watch(fs.promises as unknown as Record<string, unknown>, name);
syncBuiltinESMExports();

const s = tempServices('cxr-fuzz-');
const handlers = createHandlers(s);
afterAll(async () => {
  for (const [obj, name, orig] of patched) (obj as Record<string, unknown>)[name] = orig;
  syncBuiltinESMExports();
  await s.cleanup();
});

function allowed(p: string): boolean {
  const abs = path.resolve(p.startsWith('file:') ? new URL(p).pathname : p);
  const roots = [s.dataDir, ...s.importRoots, path.join(repoRoot, 'node_modules'), path.join(repoRoot, 'resources')];
  return roots.some((r) => abs === r || abs.startsWith(`${r}${path.sep}`)) && !abs.includes(`${path.sep}..${path.sep}`);
}

describe('hostile IPC payloads', () => {
  it(`answers ${PER_CHANNEL} random and hostile payloads on every channel with a result, never a throw`, async () => {
    const rand = mulberry32(20201226);
    const codes = new Map<string, number>();
    let total = 0;
    for (const channel of CHANNELS) {
      for (let i = 0; i < PER_CHANNEL; i++) {
        const payload = hostilePayload(rand);
        const res = await handlers[channel](payload);
        total++;
        expect(typeof res.ok, `${channel} #${i}`).toBe('boolean');
        if (!res.ok) {
          expect(ERROR_CODES, `${channel} #${i}: ${res.error.message}`).toContain(res.error.code);
          expect(res.error.message.length).toBeLessThanOrEqual(1000);
          codes.set(res.error.code, (codes.get(res.error.code) ?? 0) + 1);
        }
      }
    }
    console.log(`ipc fuzz: ${total} payloads over ${CHANNELS.length} channels; errors by code: ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(total).toBeGreaterThanOrEqual(PER_CHANNEL * CHANNELS.length);
    // No hostile payload reached a handler as a crash.
    expect(codes.get('INTERNAL') ?? 0).toBe(0);
  });

  it('never pollutes Object.prototype', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('has a read watch that sees both fs styles (so the next check can fail)', () => {
    const before = opened.length;
    readFileSync(s.catalogPath);
    fs.readFileSync(s.catalogPath);
    const seen = opened.slice(before);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set([s.catalogPath]));
    opened.length = before;
  });

  it('never reads a file outside the data folder, the import roots and the app itself', () => {
    const outside = opened.filter((p) => !allowed(p));
    expect(outside).toEqual([]);
    expect(opened.some((p) => p.includes('passwd') || p.includes('environ'))).toBe(false);
  });
});

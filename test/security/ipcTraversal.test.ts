import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { createHandlers, type HandlerMap } from '../../src/main/ipc/handlers';
import type { ImportSummary } from '../../src/shared/import';
import { tempServices } from '../helpers/tempServices';
import { goodDicom } from '../reliability/dicomWriter';

/**
 * Path traversal into the channels that take folders (import.start roots, training folders):
 * only folders the user chose in the dialog (and what lies lexically inside them) are accepted;
 * everything else gets a typed error before any file is touched.
 */
const s = tempServices('cxr-traversal-');
const repoRoot = path.resolve(import.meta.dirname, '../..');
const base = path.dirname(s.dataDir);
let h: HandlerMap;
let chosen: string;
let secret: string;
let sibling: string;

// Watch every read the main thread makes (both the CJS object and the ESM named exports).
const opened: string[] = [];
const restore: (() => void)[] = [];
for (const [obj, names] of [
  [fs, ['readFileSync', 'readFile', 'openSync', 'open', 'createReadStream', 'readdirSync', 'readdir', 'opendir', 'statSync', 'stat', 'realpath', 'realpathSync']],
  [fs.promises, ['readFile', 'open', 'readdir', 'opendir', 'stat', 'realpath']],
] as const) {
  for (const name of names) {
    const o = obj as unknown as Record<string, (...a: unknown[]) => unknown>;
    const orig = o[name]!;
    o[name] = function (this: unknown, p: unknown, ...rest: unknown[]) {
      if (typeof p === 'string' || p instanceof URL || Buffer.isBuffer(p)) opened.push(String(p));
      return orig.call(this, p, ...rest);
    };
    restore.push(() => (o[name] = orig));
  }
}
syncBuiltinESMExports();

beforeAll(() => {
  chosen = fs.mkdtempSync(path.join(base, 'cxr-chosen-'));
  secret = fs.mkdtempSync(path.join(base, 'cxr-secret-'));
  // A sibling whose name starts with the chosen folder's: a prefix check would let it through.
  sibling = `${chosen}-evil`;
  fs.mkdirSync(sibling);
  fs.writeFileSync(path.join(chosen, 'ok.dcm'), goodDicom({ sopUid: '1.2.826.0.1.3680043.10.999.501' }));
  fs.writeFileSync(path.join(secret, 'passwd.dcm'), goodDicom({ sopUid: '1.2.826.0.1.3680043.10.999.502' }));
  fs.writeFileSync(path.join(sibling, 'x.dcm'), goodDicom({ sopUid: '1.2.826.0.1.3680043.10.999.503' }));
  s.importRoots.add(chosen);
  h = createHandlers(s);
});
afterAll(async () => {
  restore.forEach((f) => f());
  syncBuiltinESMExports();
  await s.cleanup();
  for (const d of [chosen, secret, sibling]) fs.rmSync(d, { recursive: true, force: true });
});

const hostileRoots = () => [
  secret,
  sibling,
  `${chosen}/../${path.basename(secret)}`,
  `${chosen}/./../${path.basename(secret)}/`,
  `${chosen}/sub/../../${path.basename(secret)}`,
  `${chosen}/../../../../../../../../etc`,
  `${chosen}\0/../${path.basename(secret)}`,
  '../../etc/passwd',
  '/etc/passwd',
  '/etc',
  '/',
  '~',
  '.',
  '..',
  `file://${chosen}`,
  '\\\\server\\share\\dicom',
  'C:\\Windows\\System32',
  '/proc/self/environ',
  s.dataDir,
  path.join(s.dataDir, 'catalog.sqlite'),
  repoRoot,
];

function outsideReads(since: number): string[] {
  const allowed = [s.dataDir, chosen, path.join(repoRoot, 'node_modules'), path.join(repoRoot, 'src'), path.join(repoRoot, 'resources')];
  return opened.slice(since).filter((p) => {
    const abs = path.resolve(p);
    return !allowed.some((r) => abs === r || abs.startsWith(`${r}${path.sep}`));
  });
}

describe('path traversal into folder-taking channels', () => {
  it('refuses every root outside the chosen folders with a typed error, and starts no import', async () => {
    const since = opened.length;
    let n = 0;
    for (const root of hostileRoots()) {
      for (const roots of [[root], [chosen, root]]) {
        const res = await h['import.start']({ roots });
        n++;
        expect(res.ok, `import.start ${JSON.stringify(roots)}`).toBe(false);
        if (!res.ok) expect(['BAD_INPUT', 'INVALID_PAYLOAD'], JSON.stringify(roots)).toContain(res.error.code);
      }
    }
    expect(s.catalog.prepare('SELECT count(*) FROM imports').pluck().get()).toBe(0);
    expect(outsideReads(since)).toEqual([]);
    console.log(`ipc traversal: ${n} hostile import.start payloads refused`);
  });

  it('refuses the same folders for training (dataset and start) before reading anything', async () => {
    const since = opened.length;
    let n = 0;
    for (const folder of hostileRoots()) {
      for (const channel of ['training.dataset', 'training.start'] as const) {
        const res = await h[channel]({ folders: [folder] });
        n++;
        expect(res.ok, `${channel} ${folder}`).toBe(false);
        if (!res.ok) expect(['BAD_INPUT', 'INVALID_PAYLOAD'], `${channel} ${folder}: ${res.error.message}`).toContain(res.error.code);
      }
    }
    expect(s.catalog.prepare('SELECT count(*) FROM training_runs').pluck().get()).toBe(0);
    expect(outsideReads(since)).toEqual([]);
    console.log(`ipc traversal: ${n} hostile training payloads refused`);
  });

  it('has a read watch that sees a stat outside (so the checks above can fail)', () => {
    const since = opened.length;
    fs.statSync(secret);
    expect(outsideReads(since)).toEqual([secret]);
  });

  it('still imports the chosen folder itself, and only what lies in it', async () => {
    const done = new Promise<ImportSummary>((resolve) => {
      const off = s.events.subscribe((e, p) => {
        if (e === 'import.done') {
          off();
          resolve(p as ImportSummary);
        }
      });
    });
    const res = await h['import.start']({ roots: [chosen] });
    expect(res.ok).toBe(true);
    const sum = await done;
    expect(sum).toMatchObject({ status: 'completed', imported: 1, errors: [] });
    const paths = s.catalog.prepare('SELECT source_path FROM images').pluck().all() as string[];
    expect(paths).toEqual([path.join(chosen, 'ok.dcm')]);
  });
});

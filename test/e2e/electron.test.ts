import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { _electron } from 'playwright-core';

/** The Electron binary, if `npm ci` could download it (it cannot without internet beyond npm). */
function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const built = fs.existsSync(path.resolve(import.meta.dirname, '../../out/main/index.js'));
const reason = !binary
  ? 'no Electron binary (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1; its download host is unreachable here)'
  : !built
    ? 'the app is not built (run npx electron-vite build)'
    : null;
if (reason) console.log(`SKIPPED electron smoke test: ${reason}`);

describe('Electron window smoke test', () => {
  it.skipIf(reason !== null)('opens the real window with the status bar and the backend', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-electron-'));
    const app = await _electron.launch({
      executablePath: binary!,
      args: [path.resolve(import.meta.dirname, '../..'), '--no-sandbox'],
      env: { ...process.env, CXR_DATA_DIR: dataDir },
    });
    try {
      const win = await app.firstWindow();
      await expect.poll(() => win.getByTestId('status-backend').textContent(), { timeout: 30_000 }).toMatch(/Backend: \w+/);
      // No Node in the page: neither require nor process exists there; the API is the preload's.
      const page = await win.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        cxr: typeof window.cxr?.system?.info,
      }));
      expect(page).toEqual({ require: 'undefined', process: 'undefined', cxr: 'function' });
      expect(fs.statSync(path.join(dataDir, 'catalog.sqlite')).mode & 0o077).toBe(0);
    } finally {
      await app.close();
    }
  });
});

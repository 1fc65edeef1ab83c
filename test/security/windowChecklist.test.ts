import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { createRequire } from 'node:module';
import {
  allowedPermissions,
  devServerUrlFrom,
  isTrustedRendererUrl,
  secureWebPreferences,
  windowOptions,
} from '../../src/main/app/windowOptions';
import {
  RENDERER_ENTRY_URL,
  RENDERER_SCHEME,
  RENDERER_SCHEME_PRIVILEGES,
  realRendererFile,
  rendererHandler,
  resolveRendererPath,
} from '../../src/main/app/rendererProtocol';

const root = path.resolve(import.meta.dirname, '../..');
/** Electron supports its three latest stable majors; 45 is current (December 2026). */
const SUPPORTED_ELECTRON_MAJOR_FLOOR = 43;
const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');

function cspOf(html: string): Map<string, string[]> {
  const m = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/);
  if (!m) throw new Error('index.html has no CSP meta tag');
  return new Map(
    m[1]!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe('Electron security checklist: BrowserWindow', () => {
  const prefs = windowOptions('/app/preload.cjs').webPreferences;

  it('isolates the context, sandboxes the renderer and gives it no Node', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps webSecurity on, insecure content off, and no webview or experimental features', () => {
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.navigateOnDragDrop).toBe(false);
  });

  it('uses exactly the reviewed preference set (a new key must be reviewed here first)', () => {
    expect(Object.keys(secureWebPreferences).sort()).toEqual(
      [
        'allowRunningInsecureContent', 'contextIsolation', 'experimentalFeatures', 'navigateOnDragDrop',
        'nodeIntegration', 'nodeIntegrationInSubFrames', 'nodeIntegrationInWorker', 'sandbox', 'spellcheck',
        'webSecurity', 'webviewTag',
      ].sort(),
    );
    expect(prefs.preload).toBe('/app/preload.cjs');
  });

  it('denies every permission request', () => {
    expect(allowedPermissions).toEqual([]);
  });
});

describe('Electron security checklist: Content-Security-Policy', () => {
  const csp = cspOf(read('src/renderer/index.html'));

  it('defaults to none and allows scripts only from the app itself', () => {
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
  });

  it('has no unsafe-eval, no unsafe-inline scripts and no remote origins anywhere', () => {
    for (const [directive, values] of csp) {
      expect(values, directive).not.toContain("'unsafe-eval'");
      if (directive.startsWith('script')) expect(values, directive).not.toContain("'unsafe-inline'");
      for (const v of values) expect(v, `${directive} ${v}`).not.toMatch(/^(https?:|\*|ws:|wss:)/);
    }
  });

  it('forbids plugins, frames, base-uri changes and form posts', () => {
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
  });
});

describe('Electron security checklist: navigation, new windows, openExternal', () => {
  const main = read('src/main/app/index.ts');

  it('denies every new window and blocks navigation away from the app', () => {
    expect(main).toMatch(/setWindowOpenHandler\(\(\) => \(\{ action: 'deny' \}\)\)/);
    expect(main).toMatch(/on\('will-navigate'[\s\S]*?event\.preventDefault\(\)/);
    expect(main).toMatch(/on\('will-attach-webview'[\s\S]*?event\.preventDefault\(\)/);
    expect(main).toMatch(/setPermissionRequestHandler/);
  });

  it('never calls shell.openExternal anywhere in the app code', () => {
    const files = fs.readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' });
    for (const f of files.filter((p) => /\.(ts|vue)$/.test(p))) {
      expect(fs.readFileSync(path.join(root, 'src', f), 'utf8'), f).not.toMatch(/openExternal/);
    }
  });

  it('trusts only the app renderer: app://renderer/index.html, and the dev server only when unpackaged', () => {
    const opts = { entryUrl: RENDERER_ENTRY_URL };
    expect(isTrustedRendererUrl('app://renderer/index.html', opts)).toBe(true);
    expect(isTrustedRendererUrl('app://renderer/index.html#/viewer', opts)).toBe(true);
    // Scheme and host both count: the old file:// page, any file:// host, another app:// host.
    expect(isTrustedRendererUrl('file:///opt/cxr/out/renderer/index.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('file://attacker.example/opt/cxr/out/renderer/index.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('file://attacker.example/index.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('app://attacker.example/index.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('app://user@renderer/index.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('app://renderer:8080/index.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('app://renderer/other.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('file:///etc/passwd', opts)).toBe(false);
    expect(isTrustedRendererUrl('https://evil.example/index.html', opts)).toBe(false);
    expect(isTrustedRendererUrl('not a url', opts)).toBe(false);
    const dev = { ...opts, devServerUrl: 'http://localhost:5173/' };
    expect(isTrustedRendererUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isTrustedRendererUrl('http://localhost:5174/index.html', dev)).toBe(false);
  });

  it('reads ELECTRON_RENDERER_URL only in an unpackaged app, and only on a loopback origin', () => {
    expect(devServerUrlFrom('http://localhost:5173/', false)).toBe('http://localhost:5173/');
    expect(devServerUrlFrom('http://127.0.0.1:5173', false)).toBe('http://127.0.0.1:5173/');
    expect(devServerUrlFrom('http://localhost:5173/', true)).toBeUndefined();
    expect(devServerUrlFrom('https://evil.example/', false)).toBeUndefined();
    expect(devServerUrlFrom('file:///tmp/index.html', false)).toBeUndefined();
    expect(devServerUrlFrom('not a url', false)).toBeUndefined();
    expect(devServerUrlFrom(undefined, false)).toBeUndefined();
    expect(main).toMatch(/devServerUrlFrom\(process\.env\.ELECTRON_RENDERER_URL, app\.isPackaged\)/);
    expect(main).not.toMatch(/loadFile\(/);
  });
});

describe('Electron security checklist: the renderer on its own scheme (protocol.handle)', () => {
  const main = read('src/main/app/index.ts');
  const dir = '/opt/cxr/out/renderer';

  it('registers app:// as a standard secure scheme and serves the window from it', () => {
    expect(RENDERER_SCHEME).toBe('app');
    expect(RENDERER_ENTRY_URL).toBe('app://renderer/index.html');
    expect(RENDERER_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true });
    expect(RENDERER_SCHEME_PRIVILEGES).not.toHaveProperty('bypassCSP');
    expect(main).toMatch(/protocol\.registerSchemesAsPrivileged\(/);
    expect(main).toMatch(/protocol\.handle\(RENDERER_SCHEME, rendererHandler\(rendererDir\)\)/);
    expect(main).toMatch(/loadURL\(RENDERER_ENTRY_URL\)/);
  });

  it('maps app://renderer/ paths to files inside the renderer folder only', () => {
    expect(resolveRendererPath(dir, 'app://renderer/index.html')).toBe(path.join(dir, 'index.html'));
    expect(resolveRendererPath(dir, 'app://renderer/')).toBe(path.join(dir, 'index.html'));
    expect(resolveRendererPath(dir, 'app://renderer/assets/index-abc.js?v=1#x')).toBe(path.join(dir, 'assets/index-abc.js'));
    // The URL parser folds plain dot segments inside the origin: still inside the folder.
    expect(resolveRendererPath(dir, 'app://renderer/../../etc/passwd')).toBe(path.join(dir, 'etc/passwd'));
    expect(resolveRendererPath(dir, 'app://renderer/%2e%2e/%2e%2e/etc/passwd')).toBe(path.join(dir, 'etc/passwd'));
    for (const bad of [
      'app://renderer/assets%2f..%2f..%2f..%2fetc%2fpasswd',
      'app://renderer/..%5c..%5cwindows%5cwin.ini',
      'app://renderer/C:/Windows/win.ini',
      'app://renderer/C%3A%5CWindows%5Cwin.ini',
      'app://renderer/index.html%00.png',
      'app://renderer/%E0%A4%A',
      'app://attacker.example/index.html',
      'app://user:pw@renderer/index.html',
      'file:///opt/cxr/out/renderer/index.html',
      'https://renderer/index.html',
      'not a url',
    ]) {
      expect(resolveRendererPath(dir, bad), bad).toBeNull();
    }
  });

  it('refuses a symlink in the renderer folder that points outside it, and serves real files with their type', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-renderer-'));
    const rdir = path.join(tmp, 'renderer');
    fs.mkdirSync(path.join(rdir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(rdir, 'index.html'), '<!doctype html>');
    fs.writeFileSync(path.join(rdir, 'assets', 'a.js'), 'export {}');
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
    fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(rdir, 'assets', 'link.js'));
    expect(realRendererFile(rdir, 'app://renderer/assets/link.js')).toBeNull();
    expect(realRendererFile(rdir, 'app://renderer/assets')).toBeNull();
    expect(realRendererFile(rdir, 'app://renderer/missing.js')).toBeNull();
    const handle = rendererHandler(rdir);
    const js = await handle(new Request('app://renderer/assets/a.js'));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toBe('export {}');
    expect((await handle(new Request('app://renderer/assets/link.js'))).status).toBe(404);
    expect((await handle(new Request('app://renderer/'))).headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('Electron security checklist: the Electron version and its fuses', () => {
  const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };

  it('ships an exact, supported Electron major (the three latest stable majors are supported)', () => {
    const version = pkg.devDependencies.electron!;
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const major = Number(version.split('.')[0]);
    expect(major, `electron ${version}`).toBeGreaterThanOrEqual(SUPPORTED_ELECTRON_MAJOR_FLOOR);
    const installed = JSON.parse(read('node_modules/electron/package.json')) as { version: string };
    expect(installed.version).toBe(version);
    console.log(`electron ${version}`);
  });

  it('flips the fuses in electron-builder\'s own reading of its config', async () => {
    const require = createRequire(path.join(root, 'package.json'));
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      getConfig: (dir: string, configPath: null, fromOptions: null) => Promise<{ electronFuses?: Record<string, boolean> }>;
      validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = await getConfig(root, null, null);
    // The schema check electron-builder runs before packaging: a misspelt fuse key fails it.
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    console.log(`electronFuses ${JSON.stringify(config.electronFuses)}`);
  }, 30_000);
});

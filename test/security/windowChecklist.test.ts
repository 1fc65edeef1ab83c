import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { allowedPermissions, isTrustedRendererUrl, secureWebPreferences, windowOptions } from '../../src/main/app/windowOptions';

const root = path.resolve(import.meta.dirname, '../..');
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

  it('trusts only the app renderer: its file in production, the dev server in development', () => {
    const rendererFile = '/opt/cxr/out/renderer/index.html';
    expect(isTrustedRendererUrl('file:///opt/cxr/out/renderer/index.html', { rendererFile })).toBe(true);
    expect(isTrustedRendererUrl('file:///opt/cxr/out/renderer/index.html#/viewer', { rendererFile })).toBe(true);
    expect(isTrustedRendererUrl('file:///etc/passwd', { rendererFile })).toBe(false);
    expect(isTrustedRendererUrl('https://evil.example/index.html', { rendererFile })).toBe(false);
    expect(isTrustedRendererUrl('not a url', { rendererFile })).toBe(false);
    const dev = { rendererFile, devServerUrl: 'http://localhost:5173/' };
    expect(isTrustedRendererUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isTrustedRendererUrl('http://localhost:5174/index.html', dev)).toBe(false);
  });
});

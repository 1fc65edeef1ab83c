import fs from 'node:fs';
import path from 'node:path';
import { build as esbuild } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { createHandlers, handlerFor } from '../../src/main/ipc/handlers';
import type { Services } from '../../src/main/services/services';

/** Screenshots land here (gitignored). */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results/screenshots');

/** Debian's Chromium, or a Chrome found on the machine (CHROME_PATH overrides). */
export function findChromium(): string {
  const candidates = [
    process.env.CHROME_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium or Chrome found (tried ${candidates.join(', ')}); run the README's install command`);
  return found;
}

// The flags this closed network needs: no background connections, no sandbox as root.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let preloadScript: Promise<string> | undefined;
function harnessPreload(): Promise<string> {
  preloadScript ??= esbuild({
    entryPoints: [path.resolve(import.meta.dirname, 'harnessPreload.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return preloadScript;
}

export interface AppSession {
  browser: Browser;
  page: Page;
  /** Calls recorded by channel, to assert what the renderer asked for. */
  calls: string[];
  close(): Promise<void>;
}

/**
 * Opens the built renderer in Chromium with `window.cxr` wired to the real handler map over
 * `services` (a real catalog), and forwards service events into the page.
 */
export async function openApp(services: Services, opts: { viewport?: { width: number; height: number } } = {}): Promise<AppSession> {
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const handlers = createHandlers(services);
  const calls: string[] = [];
  await page.exposeBinding('__cxrInvoke', async (_source, channel: unknown, payload: unknown) => {
    calls.push(String(channel));
    const handler = handlerFor(handlers, channel);
    if (!handler) return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `no channel ${String(channel)}` } };
    return handler(payload);
  });
  await page.addInitScript({ content: await harnessPreload() });
  const unsubscribe = services.events.subscribe((event, payload) => {
    page.evaluate((env) => (window as unknown as { __cxrEmit(e: unknown): void }).__cxrEmit(env), { event, payload }).catch(() => {
      // The page may be navigating or closed; events are views of catalog state, so none is lost.
    });
  });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(inject('rendererUrl'));
  return {
    browser,
    page,
    calls,
    async close() {
      unsubscribe();
      await browser.close();
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

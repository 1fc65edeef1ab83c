/**
 * The worklist at 100,000 catalog rows in Chromium: scroll the virtualised table frame by frame and
 * measure the frame rate with the Performance API (rAF timestamps + long-animation-frame entries).
 * Prints the figures as JSON; bench/worklist.ts has the SQLite query times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os, { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { openApp, screenshot, type AppSession } from './harness';
import { createServices, type Services } from '../../src/main/services/services';
import { openCatalog } from '../../src/main/catalog/openCatalog';
import { migrations } from '../../src/main/catalog/schema';
import { seedCatalog } from '../helpers/seedCatalog';

const ROWS = Number(process.env.CXR_SCROLL_ROWS ?? 100_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-e2e-scroll-'));
let services: Services;
let app: AppSession;

/**
 * Seeding 100,000 rows takes 25 s on a quiet 2-core machine (minutes on a busy one), so the seeded
 * catalog is kept in the temp folder, keyed by the row count, the schema and the seed code.
 */
function seededCatalog(): string {
  const key = crypto
    .createHash('sha256')
    .update(`${ROWS}:${migrations.join('\n')}:${fs.readFileSync(path.resolve(import.meta.dirname, '../helpers/seedCatalog.ts'), 'utf8')}`)
    .digest('hex')
    .slice(0, 16);
  const cached = path.join(os.tmpdir(), `cxr-worklist-seed-${key}.sqlite`);
  if (fs.existsSync(cached)) return cached;
  const building = `${cached}.${process.pid}.tmp`;
  const db = openCatalog(building);
  const t0 = performance.now();
  seedCatalog(db, { images: ROWS });
  console.log(`seeded ${ROWS} rows in ${Math.round(performance.now() - t0)} ms (cached for later runs)`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.close();
  fs.renameSync(building, cached);
  return cached;
}

beforeAll(async () => {
  fs.copyFileSync(seededCatalog(), path.join(dir, 'catalog.sqlite'));
  services = createServices({ dataDir: dir });
  app = await openApp(services);
}, 400_000);
afterAll(async () => {
  await app?.close();
  await services?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ScrollFigures {
  frames: number;
  durationMs: number;
  fps: number;
  idleFps: number;
  paintOnlyFps: number;
  updateMedianMs: number;
  updateP95Ms: number;
  p95FrameMs: number;
  worstFrameMs: number;
  framesOver20ms: number;
  longAnimationFrames: number;
  domRows: number;
  rowsLoadedAtEnd: number;
}

describe('worklist scrolling at 100,000 rows', () => {
  it('renders only the visible rows, updates each scroll step within a frame, and scrolls at 50 fps on a quiet machine', { timeout: 120_000 }, async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('worklist-total').textContent(), { timeout: 30_000 }).toContain(ROWS.toLocaleString('en-US'));
    await expect.poll(() => page.getByTestId('worklist-row').count()).toBeGreaterThan(10);
    const figures = await page.evaluate(async (): Promise<ScrollFigures> => {
      const vp = document.querySelector('[data-testid="worklist-viewport"]') as HTMLElement;
      const laf: PerformanceEntry[] = [];
      let po: PerformanceObserver | undefined;
      try {
        po = new PerformanceObserver((list) => laf.push(...list.getEntries()));
        po.observe({ type: 'long-animation-frame', buffered: false });
      } catch {
        // Older Chromium: rAF timing alone.
      }
      // Baseline: the same page's frame rate with nothing changing, to tell the app's cost from a starved machine.
      const idle: number[] = [];
      await new Promise<void>((resolve) => {
        const tick = (t: number) => {
          idle.push(t);
          if (idle.length < 60) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame(tick);
      });
      const idleFps = +(((idle.length - 1) / (idle.at(-1)! - idle[0]!)) * 1000).toFixed(1);
      // Paint-only: move the scroller ±6 px, inside the overscan, so Vue renders nothing; what is left
      // is the browser's own scroll, paint and composite cost on this machine.
      const jiggle: number[] = [];
      await new Promise<void>((resolve) => {
        const tick = (t: number) => {
          jiggle.push(t);
          vp.scrollTop += jiggle.length % 2 ? 6 : -6;
          if (jiggle.length < 60) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame(tick);
      });
      const paintOnlyFps = +(((jiggle.length - 1) / (jiggle.at(-1)! - jiggle[0]!)) * 1000).toFixed(1);
      const stamps: number[] = [];
      // 240 frames at 120 px per frame: a steady fast scroll of about 1,000 rows, fetching as it goes.
      await new Promise<void>((resolve) => {
        const step = (t: number) => {
          stamps.push(t);
          vp.scrollTop += 120;
          // Capped at 20 s so that a starved machine reports a low figure instead of hanging.
          if (stamps.length < 240 && t - stamps[0]! < 20_000) requestAnimationFrame(step);
          else resolve();
        };
        requestAnimationFrame(step);
      });
      po?.disconnect();
      // The app's own cost of one scroll step: scroll, let Vue re-render (a microtask), force style and layout.
      const work: number[] = [];
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        vp.scrollTop += 120;
        vp.dispatchEvent(new Event('scroll'));
        await Promise.resolve();
        await Promise.resolve();
        void vp.getBoundingClientRect().height;
        void (vp.lastElementChild as HTMLElement | null)?.offsetHeight;
        work.push(performance.now() - t0);
        await new Promise((r) => requestAnimationFrame(r));
      }
      work.sort((a, b) => a - b);
      const deltas = stamps.slice(1).map((t, i) => t - stamps[i]!);
      const sorted = [...deltas].sort((a, b) => a - b);
      const duration = stamps.at(-1)! - stamps[0]!;
      return {
        frames: deltas.length,
        durationMs: Math.round(duration),
        fps: +((deltas.length / duration) * 1000).toFixed(1),
        idleFps,
        paintOnlyFps,
        updateMedianMs: +work[Math.floor(work.length / 2)]!.toFixed(2),
        updateP95Ms: +work[Math.floor(work.length * 0.95)]!.toFixed(2),
        p95FrameMs: +sorted[Math.floor(sorted.length * 0.95)]!.toFixed(1),
        worstFrameMs: +sorted.at(-1)!.toFixed(1),
        framesOver20ms: deltas.filter((d) => d > 20).length,
        longAnimationFrames: laf.length,
        domRows: document.querySelectorAll('[data-testid^="worklist-row"]').length,
        rowsLoadedAtEnd: document.querySelectorAll('[data-testid="worklist-row"]').length,
      };
    });
    // A jump to the end: deep pages come from SQLite with OFFSET, not from the renderer.
    await page.getByTestId('worklist-viewport').evaluate((el) => (el.scrollTop = el.scrollHeight));
    // The scroll event, the re-render and the deep page's answer all come after the jump: wait for
    // the last row to show (up to 10 s) rather than read the rows the jump has not replaced yet.
    const lastRowIndex = () => page.getByTestId('worklist-row').last().locator('.cell').first().textContent();
    await expect.poll(lastRowIndex, { timeout: 10_000 }).toBe(String(ROWS));
    await expect.poll(() => page.getByTestId('worklist-row-loading').count(), { timeout: 10_000 }).toBe(0);
    const lastIndex = await lastRowIndex();
    console.log(JSON.stringify({ rows: ROWS, scroll: figures, lastRowIndexShown: lastIndex, loadAverage1m: loadavg()[0], cpus: cpus().length }, null, 2));
    await screenshot(page, 'app-worklist-100k');
    expect(Number(lastIndex)).toBe(ROWS);
    expect(figures.domRows).toBeLessThan(80);
    // The app's own work per scroll step (script, style, layout) fits in a 60 Hz frame.
    expect(figures.updateMedianMs).toBeLessThan(16.7);
    // Frame rate also depends on the machine: software raster (--disable-gpu) shares 2 cores with
    // every other job here. Hold the app to 50 fps where the machine is not oversubscribed.
    if (loadavg()[0]! <= cpus().length) expect(figures.fps).toBeGreaterThanOrEqual(50);
    else console.log(`fps ${figures.fps} measured at load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (idle page ${figures.idleFps} fps): 50 fps check needs a quiet machine`);
  });
});

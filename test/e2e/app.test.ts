/**
 * The clinician's app end to end in Chromium: real handlers, real catalog, real import of the val
 * split, real predictions and heatmaps from a small tfjs model registered as the active model
 * (no trained model ships in the repo yet, so the probabilities are a tiny untrained net's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp, screenshot, type AppSession } from './harness';
import { createServices, type Services } from '../../src/main/services/services';
import { registerModel } from '../../src/main/models/registry';
import { saveTinyModel } from '../helpers/catalogFixture';
import { tinyBranchedModel } from '../helpers/tinyModels';
import { SHARED_DATA } from '../helpers/tempServices';

const VAL = path.join(SHARED_DATA, 'cxr3/images/val');
const VAL_FILES = fs.readdirSync(VAL, { recursive: true }).filter((f) => /\.(jpe?g|png|dcm)$/i.test(String(f))).length;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-e2e-app-'));
const csvPath = path.join(dir, 'export.csv');
let services: Services;
let app: AppSession;

beforeAll(async () => {
  services = createServices({ dataDir: dir, chooseFolder: async () => VAL, chooseSaveFile: async () => csvPath });
  const modelDir = path.join(dir, 'models', 'tiny');
  await saveTinyModel(tinyBranchedModel({ dropout: 0.5, channels: 3, size: 32 }), modelDir, 32, 3, {
    conformal: { score: 'lac', coverage: 0.95, qhat: 0.8, n: 10, valCoverage: 0.95, meanSetSize: 1.5, heldOutFoldCoverage: [] },
  });
  registerModel(services, modelDir, { activate: true });
  app = await openApp(services);
});
afterAll(async () => {
  await app?.close();
  await services?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const db = () => services.catalog;

describe("the clinician's app in Chromium", () => {
  it('imports the val split with labels from folders; the progress bar reaches the end; new images are predicted', async () => {
    const { page } = app;
    await page.getByTestId('import-choose').click();
    await expect.poll(() => page.getByTestId('import-folder').textContent()).toBe(VAL);
    expect(await page.getByTestId('import-labels').isChecked()).toBe(true);
    await page.getByTestId('import-start').click();
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const bar = page.getByTestId('import-progress');
          const now = `${await bar.getAttribute('aria-valuenow')}/${await bar.getAttribute('aria-valuemax')}`;
          seen.add(now);
          return page.getByTestId('import-summary').isVisible();
        },
        { timeout: 120_000, interval: 100 },
      )
      .toBe(true);
    const bar = page.getByTestId('import-progress');
    expect(await bar.getAttribute('aria-valuemax')).toBe(String(VAL_FILES));
    expect(await bar.getAttribute('aria-valuenow')).toBe(String(VAL_FILES));
    expect(await page.getByTestId('import-count').textContent()).toBe(`${VAL_FILES} / ${VAL_FILES}`);
    // The bar moved through intermediate values, not straight from empty to full.
    expect([...seen].filter((v) => !v.startsWith('0/') && v !== `${VAL_FILES}/${VAL_FILES}`).length).toBeGreaterThan(0);
    const summary = await page.getByTestId('import-summary').textContent();
    expect(summary).toContain(`${VAL_FILES} imported`);
    const labelled = db().prepare('SELECT count(*) FROM images WHERE reference_label IS NOT NULL').pluck().get();
    expect(labelled).toBe(VAL_FILES);
    // Prediction starts by itself and covers every eligible image.
    const eligible = db().prepare(`SELECT count(*) FROM images WHERE status = 'eligible'`).pluck().get() as number;
    await expect
      .poll(() => db().prepare('SELECT count(*) FROM predictions').pluck().get(), { timeout: 150_000, interval: 500 })
      .toBe(eligible);
    await expect.poll(() => page.getByTestId('worklist-total').textContent(), { timeout: 10_000 }).toContain(String(VAL_FILES));
  });

  it('sets the reviewer and an operating threshold in Settings', async () => {
    const { page } = app;
    // An untrained net's COVID-19 probabilities cluster; flag the top fifth of them.
    const ps = db().prepare('SELECT p_covid FROM predictions ORDER BY p_covid DESC').pluck().all() as number[];
    const threshold = Math.floor(ps[Math.floor(ps.length / 5)]! * 100) / 100;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-reviewer').fill('Dr E2E Reviewer');
    await page.getByTestId('settings-threshold').fill(String(Math.round(threshold * 100)));
    await page.getByTestId('settings-save').click();
    await expect.poll(() => page.getByTestId('settings-saved').isVisible()).toBe(true);
    expect(db().prepare(`SELECT value FROM settings WHERE key = 'reviewer_name'`).pluck().get()).toBe('Dr E2E Reviewer');
  });

  it('shows flagged cases sorted by COVID-19 probability, high to low', async () => {
    const { page } = app;
    await page.getByTestId('nav-worklist').click();
    await page.getByTestId('filter-flagged').check();
    const threshold = Number(db().prepare(`SELECT value FROM settings WHERE key = 'operating_threshold'`).pluck().get());
    const flagged = db().prepare('SELECT count(*) FROM predictions WHERE p_covid >= ?').pluck().get(threshold) as number;
    await expect.poll(() => page.getByTestId('worklist-total').textContent()).toContain(`${flagged} images`);
    await expect.poll(() => page.getByTestId('worklist-row').count()).toBeGreaterThan(5);
    const probs = (await page.getByTestId('worklist-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-p-covid')))));
    expect(probs).toEqual([...probs].sort((a, b) => b - a));
    expect(probs.every((p) => p >= threshold)).toBe(true);
    expect(await page.getByTestId('band-interval').count()).toBeGreaterThan(5);
    await screenshot(page, 'app-worklist');
  });

  it('opens a flagged case and draws the bands, the image and the heatmap', async () => {
    const { page } = app;
    const first = page.getByTestId('worklist-row').first();
    const imageId = Number(await first.getAttribute('data-image-id'));
    await first.click();
    await expect.poll(() => page.getByTestId('image-canvas').getAttribute('data-ready'), { timeout: 20_000 }).toBe('yes');
    for (const l of ['COVID19', 'NORMAL', 'PNEUMONIA']) {
      const cls = page.getByTestId(`band-${l}`);
      const [lo, p, hi] = await Promise.all(['data-lo', 'data-p', 'data-hi'].map(async (a) => Number(await cls.getAttribute(a))));
      expect(lo).toBeLessThanOrEqual(p!);
      expect(p).toBeLessThanOrEqual(hi!);
      const box = await cls.getByTestId('band-interval').boundingBox();
      expect(box!.width).toBeGreaterThan(0);
      expect(box!.height).toBeGreaterThan(4);
    }
    expect(await page.getByTestId('prediction-panel').textContent()).toContain('Research use only, not a diagnostic device');
    expect(await page.getByTestId('model-name').textContent()).toContain('tiny test model');
    // The canvas really shows pixels: the centre is not all black.
    const lit = await page.getByTestId('image-canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(c.width / 2 - 50, c.height / 2 - 50, 100, 100).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += d[i]!;
      return sum / (d.length / 4);
    });
    expect(lit).toBeGreaterThan(10);
    await expect.poll(() => page.getByTestId('heatmap-toggle').isEnabled(), { timeout: 60_000 }).toBe(true);
    await page.keyboard.press('h');
    await expect.poll(() => page.getByTestId('heatmap-toggle').isChecked()).toBe(true);
    await page.keyboard.press('2');
    await page.getByTestId('tag-search').fill('rows');
    await expect.poll(() => page.getByTestId('tag-browser').textContent()).toContain('Rows');
    await page.getByTestId('tag-search').fill('');
    await page.getByTestId('tag-search').blur();
    await screenshot(page, 'app-viewer');
    expect(page.url()).toContain(`/viewer/${imageId}`);
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('help-overlay').isVisible()).toBe(true);
    expect(await page.getByTestId('help-overlay').textContent()).toContain("Confirm the model's class");
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('help-overlay').count()).toBe(0);
  });

  const reviewed: { imageId: number; label: string }[] = [];
  it('reviews three flagged cases with the keyboard only; they leave the queue and counts update', async () => {
    const { page } = app;
    await page.getByTestId('nav-review').click();
    await expect.poll(() => page.getByTestId('review-mode').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('image-canvas').getAttribute('data-ready'), { timeout: 20_000 }).toBe('yes');
    const remaining = async () => Number((await page.getByTestId('review-remaining').textContent())!.match(/\d+/)![0]);
    await expect.poll(remaining).toBeGreaterThan(3);
    const before = await remaining();
    expect(before).toBe(db().prepare('SELECT count(*) FROM worklist_entries WHERE p_covid >= ? AND reviewed = 0').pluck().get(
      Number(db().prepare(`SELECT value FROM settings WHERE key = 'operating_threshold'`).pluck().get())));
    await screenshot(page, 'app-review');
    const current = () => db().prepare('SELECT image_id FROM reviews ORDER BY id DESC LIMIT 1').pluck().get() as number | undefined;
    for (const [key, expected] of [['c', 'COVID19'], ['n', 'NORMAL'], ['Enter', null]] as const) {
      const n = db().prepare('SELECT count(*) FROM reviews').pluck().get() as number;
      // The next case's image and prediction are on screen (the view says so) before the key.
      await expect.poll(() => page.getByTestId('review-mode').getAttribute('data-ready'), { timeout: 20_000 }).toBe('yes');
      await page.keyboard.press(key);
      await expect.poll(() => db().prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(n + 1);
      const id = current()!;
      const row = db().prepare('SELECT label, reviewer, agrees_with_model, model_id FROM reviews WHERE image_id = ?').get(id) as {
        label: string; reviewer: string; agrees_with_model: number; model_id: string;
      };
      const predicted = db().prepare('SELECT predicted FROM predictions WHERE image_id = ?').pluck().get(id);
      expect(row.label).toBe(expected ?? predicted);
      expect(row.reviewer).toBe('Dr E2E Reviewer');
      expect(row.agrees_with_model).toBe(row.label === predicted ? 1 : 0);
      expect(row.model_id).toBe('tiny-tiny');
      reviewed.push({ imageId: id, label: row.label });
    }
    await expect.poll(remaining).toBe(before - 3);
    expect(new Set(reviewed.map((r) => r.imageId)).size).toBe(3);
    expect(await page.getByTestId('review-session').textContent()).toContain('3 reviewed');
    expect(db().prepare(`SELECT count(*) FROM audit_log WHERE action = 'review.create'`).pluck().get()).toBe(3);
    // The next case's heatmap arrives a moment after its image: the screenshot waits for it (it raced before).
    await expect.poll(() => page.getByTestId('heatmap-toggle').isEnabled(), { timeout: 60_000 }).toBe(true);
    await screenshot(page, 'app-review-after');
  });

  it('still shows the reviews after a reload (read back from SQLite)', async () => {
    const { page } = app;
    expect(reviewed).toHaveLength(3);
    await page.reload();
    await page.getByTestId('nav-worklist').click();
    for (const r of reviewed) {
      const file = path.basename(db().prepare('SELECT source_path FROM images WHERE id = ?').pluck().get(r.imageId) as string);
      await page.getByTestId('filter-text').fill(file.slice(0, 40));
      const row = page.locator(`[data-testid="worklist-row"][data-image-id="${r.imageId}"]`);
      await expect.poll(() => row.getByTestId('review-cell').textContent(), { timeout: 10_000 }).toContain('Dr E2E Reviewer');
      expect(await row.getByTestId('review-cell').textContent()).toContain({ COVID19: 'COVID-19', NORMAL: 'Normal', PNEUMONIA: 'Pneumonia' }[r.label]);
    }
    await page.getByTestId('filter-text').fill('');
  });

  it('exports a CSV without patient names or IDs by default', async () => {
    const { page } = app;
    await page.getByTestId('export-csv').click();
    await expect.poll(() => page.getByTestId('export-message').textContent(), { timeout: 20_000 }).toContain('written to');
    const csv = fs.readFileSync(csvPath, 'utf8');
    const header = csv.split('\r\n')[0]!;
    expect(header).not.toMatch(/patient/);
    expect(header).toContain('p_covid19_lo');
    const patients = db().prepare('SELECT patient_key, name FROM patients').all() as { patient_key: string; name: string | null }[];
    expect(patients.length).toBeGreaterThan(100);
    for (const p of patients) {
      expect(csv.includes(p.patient_key)).toBe(false);
      if (p.name) expect(csv.includes(p.name)).toBe(false);
    }
    // The flagged filter is still on: the export is the view.
    const lines = csv.trim().split('\r\n');
    expect(lines.length - 1).toBe(Number((await page.getByTestId('worklist-total').textContent())!.replace(/\D/g, '')));
    expect(csv).toContain('Dr E2E Reviewer');
  });
});

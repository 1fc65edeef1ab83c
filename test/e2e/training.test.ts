import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, screenshot, type AppSession } from './harness';
import { tempServices } from '../helpers/tempServices';
import { importLabelled, installBaseModel, labelledValFolder } from '../helpers/trainingFixtures';
import type { TrainingDone } from '../../src/shared/training';

const services = tempServices('cxr-e2e-training-');
let app: AppSession;
let dataDir: string;
let base: { id: string; dir: string };
const done: TrainingDone[] = [];

const activeId = () => (services.catalog.prepare('SELECT id FROM models WHERE is_active = 1').get() as { id: string }).id;
const points = async (testid: string) => Number(await app.page.getByTestId(testid).getAttribute('data-points'));

beforeAll(async () => {
  dataDir = labelledValFolder(30);
  expect(await importLabelled(services, dataDir)).toBe(90);
  base = await installBaseModel(services);
  services.events.subscribe((e, p) => {
    if (e === 'training.done') done.push(p as TrainingDone);
  });
  app = await openApp(services);
}, 240_000);

afterAll(async () => {
  await app?.close();
  await services.training.terminate();
  await services.repredict.cancel();
  await services.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(base.dir, { recursive: true, force: true });
});

describe('retraining from the UI in Chromium', () => {
  it('shows the class counts of the imported, labelled catalog', async () => {
    await app.page.getByTestId('nav-training').click();
    await expect.poll(() => app.page.getByTestId('count-COVID19').textContent()).toBe('30');
    expect(await app.page.getByTestId('count-NORMAL').textContent()).toBe('30');
    expect(await app.page.getByTestId('count-PNEUMONIA').textContent()).toBe('30');
    expect(await app.page.getByTestId('dataset-warnings').count()).toBe(0);
  });

  it('trains one epoch: progress events move the charts, then the comparison table appears', async () => {
    const page = app.page;
    await page.getByTestId('cfg-epochs').fill('1');
    await page.getByTestId('cfg-batch').fill('4');
    await page.getByTestId('cfg-seed').fill('7');
    await page.getByTestId('train-start').click();
    // system.info round trips from the page (Chromium → binding → handler map) while it trains.
    await page.evaluate(() => {
      const w = window as unknown as { __lat: number[]; __stop: boolean };
      w.__lat = [];
      w.__stop = false;
      void (async () => {
        while (!w.__stop) {
          const t0 = performance.now();
          await window.cxr.system.info();
          w.__lat.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
    });

    // The batch-loss chart gains points while the run goes on.
    await expect.poll(() => points('chart-batch-loss'), { timeout: 120_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    const first = await points('chart-batch-loss');
    expect(await page.getByTestId('train-phase').textContent()).toBe('Training');
    // With two cores the compact model trains on both (a gradient peer on wasm), and the view says so.
    const cores = os.availableParallelism() >= 2 ? ', 2 cores' : '';
    expect(await page.getByTestId('train-backend').textContent()).toMatch(
      new RegExp(`^(wasm · CPU${cores}|(cpu|tfjs-node|webgpu|tfjs-node-gpu) · (CPU|GPU: .+))$`),
    );
    expect(await page.getByTestId('train-imgps').textContent()).toMatch(/^\d+\.\d$/);
    await screenshot(page, 'training-mid-run');
    await expect.poll(() => points('chart-batch-loss'), { timeout: 120_000, interval: 50 }).toBeGreaterThan(first);

    await page.getByTestId('comparison-table').waitFor({ timeout: 180_000 });
    const lat = await page.evaluate(() => {
      const w = window as unknown as { __lat: number[]; __stop: boolean };
      w.__stop = true;
      return w.__lat;
    });
    const sorted = [...lat].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
    console.log(`system.info from the page during training: n=${sorted.length} p50=${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms p99=${p99.toFixed(1)} ms max=${sorted.at(-1)!.toFixed(1)} ms`);
    expect(sorted.length).toBeGreaterThan(20);
    // The < 100 ms bound on main's own answer is asserted in src/main/training/__tests__/trainingRun.test.ts
    // (handler map, no browser). From the page the figure also holds Chromium's and CDP's share of
    // two shared, loaded cores; a training loop on main would block for whole batches (seconds).
    expect(p99).toBeLessThan(1000);
    // One epoch: one train and one val point on each per-epoch chart.
    expect(await points('chart-epoch-loss')).toBe(2);
    expect(await points('chart-epoch-acc')).toBe(2);
    const header = await page.getByTestId('comparison-table').locator('thead th').allTextContents();
    expect(header.join(' | ')).toMatch(/Active.*test default.*New.*zhongSlim local/);
    const acc = await page.getByTestId('cmp-accuracy').locator('td').allTextContents();
    expect(acc).toHaveLength(3);
    expect(acc[0]).toMatch(/^\d+\.\d%$/);
    expect(acc[1]).toMatch(/^\d+\.\d%$/);
    expect(await page.getByTestId('operating-point').textContent()).toContain('95% sensitivity');
    // The whole comparison in view: the live column scrolled to its end.
    await page.getByTestId('comparison').evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await screenshot(page, 'training-comparison');
    expect(done.at(-1)?.status).toBe('completed');
  }, 300_000);

  it('activates the new version; the catalog is re-predicted and new predictions carry its id', async () => {
    const newId = done.at(-1)!.modelId!;
    expect(activeId()).toBe(base.id);
    await app.page.getByTestId('activate-new').click();
    await expect.poll(() => app.page.getByTestId('repredict-progress').textContent(), { timeout: 180_000 }).toContain('90/90 (completed)');
    expect(activeId()).toBe(newId);
    const rows = services.catalog.prepare('SELECT model_id, count(*) AS n FROM predictions GROUP BY model_id').all();
    expect(rows).toEqual([{ model_id: newId, n: 90 }]);
    // The worklist (its own table, kept by triggers) shows the new model's predictions.
    const wl = await app.page.evaluate(() => window.cxr.worklist.query({}));
    expect(wl.rows.length).toBeGreaterThan(0);
  }, 240_000);

  it('lists both versions in the registry, and rolls back to the shipped default', async () => {
    const newId = done.at(-1)!.modelId!;
    await app.page.getByTestId('nav-models').click();
    await app.page.getByTestId(`model-row-${newId}`).waitFor();
    expect(await app.page.getByTestId(`model-row-${base.id}`).textContent()).toContain('Shipped default');
    expect(await app.page.getByTestId(`model-row-${newId}`).textContent()).toContain('Active');
    await app.page.getByTestId(`model-row-${newId}`).click();
    await app.page.getByTestId('model-detail').waitFor();
    await screenshot(app.page, 'models-registry');
    await app.page.getByTestId('models-rollback').click();
    await expect.poll(() => activeId(), { timeout: 30_000 }).toBe(base.id);
    await expect.poll(() => app.page.getByTestId('models-repredict').textContent(), { timeout: 180_000 }).toContain('completed');
    expect(await app.page.getByTestId(`model-row-${base.id}`).textContent()).toContain('Active');
  }, 240_000);
});

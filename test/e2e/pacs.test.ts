/**
 * The PACS tab in Chromium against a real Orthanc: search by modality, pick studies, retrieve
 * with progress, the new images predicted as a folder import's are, then "Send to PACS" from the
 * viewer, and the Structured Report read back from Orthanc. Real handlers, catalog and model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApp, screenshot, type AppSession } from './harness';
import { createServices, type Services } from '../../src/main/services/services';
import { SHARED_DATA } from '../helpers/tempServices';
import { orthancAvailability, startOrthanc, type Orthanc } from '../helpers/orthanc';

const DICOM_DIR = path.join(SHARED_DATA, 'dicom');
const state = orthancAvailability();
if (!state.ok) console.warn(`PACS e2e skipped: ${state.reason}`);
const DX_STUDY = '1.3.6.1.4.1.11129.5.5.112507010803284478207522016832191866964708';
const RG1_STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';

let orthanc: Orthanc;
let services: Services;
let app: AppSession;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-e2e-pacs-'));

beforeAll(async () => {
  if (!state.ok) return;
  orthanc = await startOrthanc();
  await orthanc.upload(fs.readdirSync(DICOM_DIR).filter((f) => f.endsWith('.dcm')).map((f) => path.join(DICOM_DIR, f)));
  services = createServices({ dataDir: dir });
  await services.pacs.update({ dicomweb: { url: orthanc.dicomweb, auth: 'none', username: '', timeoutMs: 20_000 } });
  app = await openApp(services);
});
afterAll(async () => {
  await app?.close();
  services?.close();
  await orthanc?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!state.ok)('the PACS tab in Chromium', () => {
  it('searches the PACS for CR/DX studies and lists them', async () => {
    const { page } = app;
    await page.getByTestId('import-tab-pacs').click();
    expect(await page.getByTestId('pacs-modality-CR').isChecked()).toBe(true);
    expect(await page.getByTestId('pacs-modality-DX').isChecked()).toBe(true);
    await page.getByTestId('pacs-search').click();
    await expect.poll(() => page.getByTestId('pacs-result-row').count(), { timeout: 20_000 }).toBe(5);
    const text = await page.getByTestId('pacs-results').textContent();
    expect(text).toContain('Covid0000');
    expect(text).toContain('9RG1');
    expect(text).not.toContain('1CT1');
    await page.getByTestId(`pacs-pick-${DX_STUDY}`).check();
    await page.getByTestId(`pacs-pick-${RG1_STUDY}`).check();
    await screenshot(page, 'pacs-query');
  });

  it('retrieves the picked studies with progress; they are catalogued and predicted', async () => {
    const { page } = app;
    await page.getByTestId('pacs-retrieve').click();
    await expect.poll(() => page.getByTestId('pacs-retrieve-summary').isVisible(), { timeout: 120_000, interval: 200 }).toBe(true);
    const bar = page.getByTestId('pacs-progress');
    expect(await bar.getAttribute('aria-valuemax')).toBe('3');
    expect(await bar.getAttribute('aria-valuenow')).toBe('3');
    expect(await page.getByTestId('pacs-retrieve-summary').textContent()).toContain('3 new in the catalog');
    const db = services.catalog;
    expect(db.prepare('SELECT count(*) FROM images').pluck().get()).toBe(3);
    const eligible = db.prepare(`SELECT count(*) FROM images WHERE status = 'eligible'`).pluck().get() as number;
    await expect.poll(() => db.prepare('SELECT count(*) FROM predictions').pluck().get(), { timeout: 150_000, interval: 500 }).toBe(eligible);
    await expect.poll(() => page.getByTestId('worklist-total').textContent(), { timeout: 10_000 }).toContain('3');
  }, 300_000);

  it('sends the result from the viewer; the SR lands in the study in Orthanc', async () => {
    const { page } = app;
    const imageId = services.catalog.prepare(`SELECT id FROM images WHERE sop_uid LIKE '1.3.6.1.4.1.11129%'`).pluck().get() as number;
    await page.evaluate((id) => (location.hash = `#/viewer/${id}`), imageId);
    await expect.poll(() => page.getByTestId('image-canvas').getAttribute('data-ready'), { timeout: 20_000 }).toBe('yes');
    await expect.poll(() => page.getByTestId('send-to-pacs').isEnabled(), { timeout: 20_000 }).toBe(true);
    await page.getByTestId('send-to-pacs').click();
    await expect.poll(() => page.getByTestId('send-to-pacs-status').textContent(), { timeout: 30_000 }).toContain('Sent the Structured Report by STOW-RS');
    await expect.poll(() => page.getByTestId('send-history').textContent()).toContain(`SR sent to 127.0.0.1:${orthanc.httpPort}`);
    const sop = services.catalog.prepare(`SELECT sop_instance_uid FROM pacs_sends WHERE image_id = ? AND status = 'sent'`).pluck().get(imageId) as string;
    const found = (await (await orthanc.rest('/tools/lookup', { method: 'POST', body: sop })).json()) as { ID: string }[];
    expect(found).toHaveLength(1);
    const tags = (await (await orthanc.rest(`/instances/${found[0]!.ID}/simplified-tags`)).json()) as Record<string, string>;
    expect(tags.StudyInstanceUID).toBe(DX_STUDY);
    expect(tags.Modality).toBe('SR');
    await screenshot(page, 'pacs-viewer-sent');
  }, 120_000);

  it('shows the PACS settings with a working connection test', async () => {
    const { page } = app;
    await page.getByTestId('nav-settings').click();
    await expect.poll(() => page.getByTestId('pacs-url').inputValue()).toBe(orthanc.dicomweb);
    await page.getByTestId('pacs-test-dicomweb').click();
    await expect.poll(() => page.getByTestId('pacs-test-dicomweb-result').textContent(), { timeout: 20_000 }).toContain('answered a study search');
    await screenshot(page, 'pacs-settings');
  });
});

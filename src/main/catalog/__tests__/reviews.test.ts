import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempServices } from '../../../../test/helpers/tempServices';
import { createServices } from '../../services/services';
import { createHandlers } from '../../ipc/handlers';
import { seedCatalog, SEED_MODEL } from '../../../../test/helpers/seedCatalog';
import type { ReviewRecord } from '../../../shared/review';
import type { CsvExport } from '../../../shared/export';

const s = tempServices('cxr-review-');
const handlers = createHandlers(s);
let ids: number[] = [];
afterAll(() => s.cleanup());
beforeAll(() => {
  ids = seedCatalog(s.catalog, { images: 40, excludedShare: 0, patientName: (i) => `Doe^Jane${i}` }).imageIds;
});

async function ok<T>(p: Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(r.error!.message);
  return r.value as T;
}

describe('reviews', () => {
  it('refuses a review until the reviewer name is set', async () => {
    const res = await handlers['review.submit']({ imageId: ids[0], label: 'NORMAL' });
    expect(res).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('stores reviewer, label, agreement with the model and model id, and audit-logs it', async () => {
    await ok(handlers['settings.set']({ reviewerName: 'Dr Ada' }));
    const predicted = s.catalog.prepare('SELECT predicted FROM predictions WHERE image_id = ?').pluck().get(ids[0]) as string;
    const r = await ok<ReviewRecord>(handlers['review.submit']({ imageId: ids[0], label: predicted }));
    expect(r).toMatchObject({ imageId: ids[0], reviewer: 'Dr Ada', label: predicted, agreesWithModel: true, modelId: SEED_MODEL.id });
    expect(r.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const log = s.catalog.prepare(`SELECT * FROM audit_log WHERE action = 'review.create' AND entity_id = ?`).get(String(ids[0])) as {
      actor: string;
      detail_json: string;
    };
    expect(log.actor).toBe('Dr Ada');
    expect(JSON.parse(log.detail_json).new).toMatchObject({ label: predicted, agreesWithModel: true });
  });

  it('changes a review: the latest wins, and the audit log keeps both old and new', async () => {
    const predicted = s.catalog.prepare('SELECT predicted FROM predictions WHERE image_id = ?').pluck().get(ids[0]) as string;
    const other = predicted === 'COVID19' ? 'NORMAL' : 'COVID19';
    const r = await ok<ReviewRecord>(handlers['review.submit']({ imageId: ids[0], label: other }));
    expect(r.agreesWithModel).toBe(false);
    const history = await ok<ReviewRecord[]>(handlers['review.history']({ imageId: ids[0] }));
    expect(history.map((h) => h.label)).toEqual([other, predicted]);
    const change = s.catalog.prepare(`SELECT detail_json FROM audit_log WHERE action = 'review.change'`).pluck().get() as string;
    expect(JSON.parse(change)).toMatchObject({ old: { label: predicted }, new: { label: other } });
    const entry = s.catalog.prepare('SELECT review_label, reviewed FROM worklist_entries WHERE image_id = ?').get(ids[0]);
    expect(entry).toEqual({ review_label: other, reviewed: 1 });
  });

  it('takes a reviewed case out of the flagged-unreviewed queue', async () => {
    const queue = async () =>
      ok<{ total: number; rows: { imageId: number }[] }>(handlers['worklist.query']({ filters: { flagged: true, unreviewed: true } }));
    const before = await queue();
    expect(before.total).toBeGreaterThan(1);
    await ok(handlers['review.submit']({ imageId: before.rows[0]!.imageId, label: 'COVID19' }));
    const after = await queue();
    expect(after.total).toBe(before.total - 1);
    expect(after.rows.map((r) => r.imageId)).not.toContain(before.rows[0]!.imageId);
  });

  it('emits review.changed so that open views refresh their counts', async () => {
    const seen: unknown[] = [];
    const off = s.events.subscribe((e, p) => seen.push([e, p]));
    await ok(handlers['review.submit']({ imageId: ids[3], label: 'PNEUMONIA' }));
    off();
    expect(seen).toContainEqual(['review.changed', { imageId: ids[3], label: 'PNEUMONIA' }]);
  });

  it('rejects an unknown label', async () => {
    const res = await handlers['review.submit']({ imageId: ids[0], label: 'FLU' });
    expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });
});

describe('CSV export', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-review-export-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** Exports through the handler with a save dialog that picks a fresh file; returns the reply and the file's text. */
  async function exportTo(req: unknown): Promise<{ res: CsvExport; csv: string }> {
    const target = path.join(dir, `out-${n++}.csv`);
    const h = createHandlers(Object.assign(Object.create(s) as typeof s, { chooseSaveFile: async () => target }));
    const res = await ok<CsvExport>(h['export.csv'](req));
    expect(res.path).toBe(target);
    return { res, csv: fs.readFileSync(target, 'utf8') };
  }

  it('reports the rows in view and writes nothing when the save dialog is cancelled', async () => {
    const res = await ok<CsvExport>(handlers['export.csv']({}));
    expect(res).toEqual({ path: null, rowCount: 40, includeIdentifiers: false, cancelled: false });
    expect(res).not.toHaveProperty('csv');
  });

  it('leaves patient names, IDs and file names out unless identifiers are asked for', async () => {
    const { res, csv } = await exportTo({});
    expect(res.rowCount).toBe(40);
    expect(csv).not.toMatch(/Doe\^Jane|PID-/);
    const header = csv.split('\r\n')[0]!.split(',');
    expect(header).toEqual(expect.arrayContaining(['p_covid19', 'p_covid19_lo', 'p_covid19_hi', 'conformal_set', 'review_label', 'reviewer']));
    expect(header).not.toContain('patient_name');
    const withIds = await exportTo({ includeIdentifiers: true });
    expect(withIds.csv).toContain('Doe^Jane');
    expect(withIds.csv.split('\r\n')[0]).toMatch(/^patient_id,patient_name,/);
  });

  it('exports the filtered view in the table order, with the review in the row', async () => {
    const view = await ok<{ rows: { imageId: number }[]; total: number }>(handlers['worklist.query']({ filters: { flagged: true }, limit: 500 }));
    const { res, csv } = await exportTo({ filters: { flagged: true } });
    const lines = csv.trim().split('\r\n');
    expect(lines).toHaveLength(view.total + 1);
    expect(res.rowCount).toBe(view.total);
    const col = lines[0]!.split(',').indexOf('image_id');
    expect(lines.slice(1).map((l) => Number(l.split(',')[col]))).toEqual(view.rows.map((r) => r.imageId));
  });

  it('writes the file main was given by the save dialog, and never a formula cell', async () => {
    const target = path.join(dir, 'formula.csv');
    const s2 = createServices({ dataDir: path.join(dir, 'data'), catalogPath: s.catalogPath, chooseSaveFile: async () => target });
    try {
      s2.catalog.prepare(`UPDATE patients SET name = '=HYPERLINK("x")' WHERE id = 1`).run();
      const res = await ok<CsvExport>(createHandlers(s2)['export.csv']({ includeIdentifiers: true }));
      expect(res.path).toBe(target);
      const written = fs.readFileSync(target, 'utf8');
      expect(written.trim().split('\r\n')).toHaveLength(res.rowCount + 1);
      expect(written).toContain(`"'=HYPERLINK(""x"")"`);
      expect(s2.catalog.prepare(`SELECT count(*) FROM audit_log WHERE action = 'export.csv'`).pluck().get()).toBeGreaterThan(0);
    } finally {
      await s2.close();
    }
  });
});

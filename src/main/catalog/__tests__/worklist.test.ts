import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempServices } from '../../../../test/helpers/tempServices';
import { createHandlers } from '../../ipc/handlers';
import { queryWorklist, worklistCounts } from '../worklist';
import { DEFAULT_SORT, type WorklistPage } from '../../../shared/worklist';
import { seedCatalog } from '../../../../test/helpers/seedCatalog';

const s = tempServices('cxr-worklist-');
const handlers = createHandlers(s);
afterAll(() => s.cleanup());

async function query(req: unknown): Promise<WorklistPage> {
  const res = await handlers['worklist.query'](req);
  if (!res.ok) throw new Error(res.error.message);
  return res.value as WorklistPage;
}

beforeAll(() => {
  seedCatalog(s.catalog, { images: 600, excludedShare: 0.05 });
});

describe('worklist query', () => {
  it('sorts unreviewed first, then COVID-19 probability high to low, with unpredicted images last', async () => {
    s.catalog.prepare(`INSERT INTO settings (key, value) VALUES ('reviewer_name', 'Dr Test')`).run();
    const firstIds = (await query({ limit: 3 })).rows.map((r) => r.imageId);
    await handlers['review.submit']({ imageId: firstIds[0], label: 'COVID19' });
    const page = await query({ offset: 0, limit: 500 });
    const rest = await query({ offset: 500, limit: 500 });
    const rows = [...page.rows, ...rest.rows];
    expect(rows).toHaveLength(600);
    expect(page.total).toBe(600);
    const reviewedAt = rows.findIndex((r) => r.review !== null);
    expect(rows[reviewedAt]!.imageId).toBe(firstIds[0]);
    // Every unreviewed row comes before the reviewed one, in descending p_covid, nulls last.
    const unreviewed = rows.slice(0, reviewedAt);
    const probs = unreviewed.map((r) => r.pCovid ?? -1);
    expect(probs).toEqual([...probs].sort((a, b) => b - a));
    expect(unreviewed.at(-1)!.pCovid).toBeNull();
    expect(unreviewed.some((r) => r.status === 'excluded')).toBe(true);
  });

  it('pages without overlap or gaps', async () => {
    const a = await query({ offset: 0, limit: 250 });
    const b = await query({ offset: 250, limit: 250 });
    const all = await query({ offset: 0, limit: 500 });
    expect([...a.rows, ...b.rows].map((r) => r.imageId)).toEqual(all.rows.map((r) => r.imageId));
  });

  it('flags at the operating threshold from settings, falling back to the model card', async () => {
    const card = await query({ filters: { flagged: true }, limit: 500 });
    expect(card.threshold).toBe(0.5);
    expect(card.rows.every((r) => (r.pCovid ?? 0) >= 0.5)).toBe(true);
    await handlers['settings.set']({ operatingThreshold: 0.8 });
    const strict = await query({ filters: { flagged: true }, limit: 500 });
    expect(strict.threshold).toBe(0.8);
    expect(strict.total).toBeLessThan(card.total);
    expect(strict.total).toBe(s.catalog.prepare('SELECT count(*) FROM predictions WHERE p_covid >= 0.8').pluck().get());
    await handlers['settings.set']({ operatingThreshold: null });
    expect((await query({ filters: { flagged: true } })).threshold).toBe(0.5);
  });

  it('filters by predicted class, exclusion, date range and text, in SQL', async () => {
    const pneu = await query({ filters: { predicted: 'PNEUMONIA' }, limit: 500 });
    expect(pneu.total).toBeGreaterThan(0);
    expect(pneu.rows.every((r) => r.predicted === 'PNEUMONIA')).toBe(true);
    const excl = await query({ filters: { excluded: 'only' }, limit: 500 });
    expect(excl.total).toBe(s.catalog.prepare(`SELECT count(*) FROM images WHERE status = 'excluded'`).pluck().get());
    expect(excl.rows.every((r) => r.status === 'excluded' && r.exclusionReason)).toBe(true);
    const hidden = await query({ filters: { excluded: 'hide' } });
    expect(hidden.total + excl.total).toBe(600);
    const dated = await query({ filters: { dateFrom: '2020-06-01', dateTo: '2020-06-30' }, limit: 500 });
    expect(dated.rows.every((r) => r.studyDate! >= '2020-06-01' && r.studyDate! <= '2020-06-30')).toBe(true);
    // Two images per patient in the seed.
    const one = await query({ filters: { text: 'pid-0000008' } });
    expect(one.rows.map((r) => r.patientKey)).toEqual(['PID-0000008', 'PID-0000008']);
    // LIKE wildcards in the search are literal characters.
    expect((await query({ filters: { text: '%' } })).total).toBe(0);
  });

  it('keeps the worklist in step when a prediction is replaced', () => {
    const id = queryWorklist(s.catalog, { filters: {}, sort: DEFAULT_SORT, offset: 0, limit: 1 }).rows[0]!.imageId;
    s.catalog.prepare('UPDATE predictions SET p_covid = 0.001 WHERE image_id = ?').run(id);
    const after = queryWorklist(s.catalog, { filters: { text: '', excluded: 'hide' }, sort: { key: 'covid', dir: 'asc' }, offset: 0, limit: 1 });
    expect(after.rows[0]!.imageId).toBe(id);
    expect(worklistCounts(s.catalog).images).toBe(600);
  });

  it('counts what the header and the review queue show, from the catalog', () => {
    const c = worklistCounts(s.catalog);
    const q = (sql: string) => s.catalog.prepare(sql).pluck().get() as number;
    expect(c.images).toBe(q('SELECT count(*) FROM images'));
    expect(c.excluded).toBe(q(`SELECT count(*) FROM images WHERE status = 'excluded'`));
    expect(c.predicted).toBe(q('SELECT count(DISTINCT image_id) FROM predictions'));
    expect(c.flagged).toBe(q(`SELECT count(*) FROM predictions WHERE p_covid >= ${c.threshold}`));
    expect(c.reviewed).toBe(q('SELECT count(DISTINCT image_id) FROM reviews'));
    expect(c.flaggedUnreviewed).toBe(
      q(`SELECT count(*) FROM predictions WHERE p_covid >= ${c.threshold} AND image_id NOT IN (SELECT image_id FROM reviews)`),
    );
  });

  it('rejects a page larger than 500 rows', async () => {
    const res = await handlers['worklist.query']({ limit: 10_000 });
    expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('refuses a NUL or another control character in the search text with BAD_INPUT, in the query and the export', async () => {
    for (const text of ['ab\u0000c', '\u0000', 'pat\u0001ient', 'x\u007fyz', 'line\nbreak']) {
      const res = await handlers['worklist.query']({ filters: { text }, limit: 10 });
      expect(res, JSON.stringify(text)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringMatching(/control character/) } });
      const exp = await handlers['export.csv']({ filters: { text }, includeIdentifiers: false });
      expect(exp, JSON.stringify(text)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    }
    // Plain hostile-looking text still searches (quoted as a phrase).
    expect(await handlers['worklist.query']({ filters: { text: '"NEAR(a b)* OR' }, limit: 10 })).toMatchObject({ ok: true });
  });
});

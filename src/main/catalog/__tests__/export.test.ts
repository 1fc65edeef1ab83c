import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempServices } from '../../../../test/helpers/tempServices';
import { createServices } from '../../services/services';
import { createHandlers } from '../../ipc/handlers';
import { seedCatalog } from '../../../../test/helpers/seedCatalog';
import { csvField, writeWorklistCsv } from '../export';
import { currentPrediction } from '../predictions';
import { queryWorklist } from '../worklist';
import { DEFAULT_SORT } from '../../../shared/worklist';
import type { CsvExport, CsvExportProgress } from '../../../shared/export';

const s = tempServices('cxr-export-');
afterAll(() => s.cleanup());
beforeAll(() => {
  seedCatalog(s.catalog, { images: 12, excludedShare: 0, patientName: (i) => `Doe^Jane${i}` });
});

describe('CSV export: formula cells', () => {
  it('neutralises every way a spreadsheet could start a formula', () => {
    for (const hostile of [
      '=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', '\n=1', '\n1', ' =1', '   @x', '\u3000=1',
      '＝HYPERLINK("x")', '＋1', '－1', '＠SUM(A1)', ' ＝1',
    ]) {
      const cell = csvField(hostile);
      // Unquote, then the cell must start with the text marker.
      const text = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
      expect(text, JSON.stringify(hostile)).toBe(`'${hostile}`);
    }
  });

  it('leaves plain text, dates and numbers as they are', () => {
    expect(csvField('Doe^Jane')).toBe('Doe^Jane');
    expect(csvField('2020-01-02')).toBe('2020-01-02');
    expect(csvField(-0.25)).toBe('-0.250000');
    expect(csvField(3)).toBe('3');
    expect(csvField('a,b')).toBe('"a,b"');
  });
});

describe('CSV export: the written file', () => {
  it('replaces the chosen file by a rename (a reader of the old file keeps it whole) and leaves it 0600 with no temp file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-export-file-'));
    const target = path.join(dir, 'out.csv');
    fs.writeFileSync(target, 'old export\r\n', { mode: 0o644 });
    fs.chmodSync(target, 0o644);
    const oldFd = fs.openSync(target, 'r');
    const s2 = createServices({ dataDir: path.join(dir, 'data'), catalogPath: s.catalogPath, chooseSaveFile: async () => target });
    try {
      const res = await createHandlers(s2)['export.csv']({ includeIdentifiers: true });
      if (!res.ok) throw new Error(res.error.message);
      const value = res.value as CsvExport;
      const written = fs.readFileSync(target, 'utf8');
      expect(written.split('\r\n')[0]).toMatch(/^patient_id,patient_name,image_id,/);
      expect(written.trim().split('\r\n')).toHaveLength(value.rowCount + 1);
      // Written in place, the old descriptor would now read the new bytes.
      const buf = Buffer.alloc(64);
      const n = fs.readSync(oldFd, buf, 0, 64, 0);
      expect(buf.toString('utf8', 0, n)).toBe('old export\r\n');
      expect(fs.statSync(target).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(dir).sort()).toEqual(['data', 'out.csv']);
    } finally {
      fs.closeSync(oldFd);
      await s2.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CSV export: streaming a large view', () => {
  const big = tempServices('cxr-export-big-');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-export-stream-'));
  const ROWS = 3000;
  afterAll(async () => {
    await big.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(() => {
    seedCatalog(big.catalog, { images: ROWS, excludedShare: 0.05, patientName: (i) => `Doe^Jane${i}` });
  });
  const opts = { filters: {}, sort: DEFAULT_SORT, includeIdentifiers: false };
  const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\r\n');

  it('writes the same file whether in one slice or in slices of one row, in the table order, with each row\'s prediction', async () => {
    const one = path.join(dir, 'one.csv');
    const many = path.join(dir, 'many.csv');
    expect(await writeWorklistCsv(big.catalogPath, opts, one, { sliceMs: 1e9 })).toEqual({ rowCount: ROWS, cancelled: false });
    let progress = 0;
    const res = await writeWorklistCsv(big.catalogPath, opts, many, { sliceMs: 0, onProgress: () => progress++ });
    expect(res.rowCount).toBe(ROWS);
    expect(progress).toBeGreaterThanOrEqual(ROWS);
    expect(fs.readFileSync(many, 'utf8')).toBe(fs.readFileSync(one, 'utf8'));
    const [header, ...rows] = lines(one);
    const cols = header!.split(',');
    const order = queryWorklist(big.catalog, { ...opts, offset: 0, limit: 500 }).rows.map((r) => r.imageId);
    expect(rows.slice(0, 500).map((l) => Number(l.split(',')[cols.indexOf('image_id')]))).toEqual(order);
    // Every row's probability, band, set and model are the catalog's current prediction (no cells hold commas here).
    for (const l of rows) {
      const cells = l.split(',');
      const p = currentPrediction(big.catalog, Number(cells[cols.indexOf('image_id')]));
      expect(cells[cols.indexOf('p_covid19')]).toBe(csvField(p?.probabilities.COVID19));
      expect(cells[cols.indexOf('p_pneumonia_hi')]).toBe(csvField(p?.bands.PNEUMONIA.hi));
      expect(cells[cols.indexOf('conformal_set')]).toBe(csvField(p ? p.conformalSet.join('|') : null));
      expect(cells[cols.indexOf('model_id')]).toBe(csvField(p?.modelId));
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the event loop free between slices, and the app connection free to write', async () => {
    const file = path.join(dir, 'busy.csv');
    let ticks = 0;
    let writes = 0;
    let finished = false;
    const run = writeWorklistCsv(big.catalogPath, opts, file, { sliceMs: 1 }).finally(() => (finished = true));
    while (!finished) {
      await new Promise((r) => setImmediate(r));
      ticks++;
      // What review.submit does while an export runs: a write on the app's connection.
      big.catalog.prepare(`INSERT INTO settings (key, value) VALUES ('export_probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(ticks));
      writes++;
    }
    expect((await run).rowCount).toBe(ROWS);
    expect(ticks).toBeGreaterThan(5);
    expect(writes).toBe(ticks);
    // One snapshot: the export read the view as it was when it began, the writes notwithstanding.
    expect(lines(file)).toHaveLength(ROWS + 1);
  });

  it('stops when cancelled: the chosen file keeps its old bytes and no temp file is left', async () => {
    const file = path.join(dir, 'cancel.csv');
    fs.writeFileSync(file, 'old\r\n');
    const controller = new AbortController();
    const res = await writeWorklistCsv(big.catalogPath, opts, file, { sliceMs: 0, signal: controller.signal, onProgress: (done) => done >= 100 && controller.abort() });
    expect(res.cancelled).toBe(true);
    expect(res.rowCount).toBeLessThan(ROWS);
    expect(fs.readFileSync(file, 'utf8')).toBe('old\r\n');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports progress over IPC, refuses a second export while one runs, and export.cancel stops it', async () => {
    const file = path.join(dir, 'ipc.csv');
    let release!: () => void;
    const dialogOpen = new Promise<void>((r) => (release = r));
    const h = createHandlers(
      Object.assign(Object.create(big) as typeof big, {
        chooseSaveFile: async () => {
          release();
          return file;
        },
      }),
    );
    const seen: CsvExportProgress[] = [];
    const off = big.events.subscribe((e, p) => e === 'export.progress' && seen.push(p as CsvExportProgress));
    try {
      const full = await h['export.csv']({});
      expect(full).toMatchObject({ ok: true, value: { path: file, rowCount: ROWS, cancelled: false } });
      expect(seen.at(-1)).toEqual({ done: ROWS, total: ROWS });

      const second = h['export.csv']({});
      await dialogOpen;
      expect(await h['export.csv']({})).toMatchObject({ ok: false, error: { code: 'BUSY' } });
      expect(await h['export.cancel']({})).toEqual({ ok: true, value: { cancelled: true } });
      expect(await second).toMatchObject({ ok: true, value: { path: null, cancelled: true } });
      expect(await h['export.cancel']({})).toEqual({ ok: true, value: { cancelled: false } });
      // The finished export's file is still whole.
      expect(lines(file)).toHaveLength(ROWS + 1);
    } finally {
      off();
    }
  });
});

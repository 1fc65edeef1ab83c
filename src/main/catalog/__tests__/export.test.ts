import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempServices } from '../../../../test/helpers/tempServices';
import { createServices } from '../../services/services';
import { createHandlers } from '../../ipc/handlers';
import { seedCatalog } from '../../../../test/helpers/seedCatalog';
import { csvField } from '../export';
import type { CsvExport } from '../../../shared/export';

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
      expect(fs.readFileSync(target, 'utf8')).toBe(value.csv);
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

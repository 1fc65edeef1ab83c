import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandlers, type HandlerMap } from '../../src/main/ipc/handlers';
import { createServices, type Services } from '../../src/main/services/services';
import { CHANNELS } from '../../src/shared/contract';
import { dicomParser } from '../../src/main/imaging/dicom/parseDicom';
import type { ImportSummary } from '../../src/shared/import';
import { SAMPLE_DICOM } from '../reliability/badCorpus';
import { concat, element, gradient, imageHeader, part10, value } from '../reliability/dicomWriter';

/**
 * Patient names and IDs never reach logs or error text: import error rows (summary, import_errors,
 * imports.summary_json), CLI stdout/stderr, IPC error messages and events, audit_log details,
 * console output. Exports leave them out unless asked.
 */
const NAME = 'Zqxjvorth^Wilhelmina^Ottoline';
const PATIENT_ID = 'PID-8842-QZV';
const NEEDLES = ['Zqxjvorth', 'Wilhelmina', 'Ottoline', 'PID-8842-QZV', '8842-QZV'];
const ROOT = path.resolve(import.meta.dirname, '../..');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-privacy-'));
const folder = path.join(work, 'studies');
const dataDir = path.join(work, 'data');
let s: Services;
let h: HandlerMap;
const captured: string[] = [];

function leaks(text: string): string[] {
  return NEEDLES.filter((n) => text.toLowerCase().includes(n.toLowerCase()));
}

/** Replaces an element's value in a parsed file (explicit or implicit VR, 8-byte header). */
function withValue(bytes: Uint8Array, tag: string, vr: string, v: string): Uint8Array {
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements[tag]!;
  const body = value(vr, v);
  let head: Uint8Array;
  if (el.vr) head = element(parseInt(tag.slice(1), 16), vr, new Uint8Array(0), body.length);
  else {
    head = new Uint8Array(8);
    const dv = new DataView(head.buffer);
    const t = parseInt(tag.slice(1), 16);
    dv.setUint16(0, t >>> 16, true);
    dv.setUint16(2, t & 0xffff, true);
    dv.setUint32(4, body.length, true);
  }
  return concat([bytes.subarray(0, el.dataOffset - 8), head, body, bytes.subarray(el.dataOffset + el.length)]);
}

function identified(sopUid: string, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat([imageHeader({ sopUid, patientName: NAME, patientId: PATIENT_ID }), extra]);
}

beforeAll(async () => {
  fs.mkdirSync(folder, { recursive: true });
  // A real sample with the patient's name and ID swapped in, whole and truncated.
  let nih: Uint8Array = new Uint8Array(fs.readFileSync(path.join(SAMPLE_DICOM, 'nih_cxr14_chest_DX.dcm')));
  nih = withValue(withValue(nih, 'x00100010', 'PN', NAME), 'x00100020', 'LO', PATIENT_ID);
  expect(dicomParser.parseDicom(nih).string('x00100010')).toBe(NAME);
  fs.writeFileSync(path.join(folder, 'a-whole.dcm'), nih);
  fs.writeFileSync(path.join(folder, 'b-truncated.dcm'), withValue(nih, 'x00080018', 'UI', '1.2.826.0.1.3680043.10.999.601').subarray(0, nih.length - 5000));
  // Synthetic ones that fail at each later stage, the identifiers already parsed.
  const uid = (n: number) => `1.2.826.0.1.3680043.10.999.6${n}`;
  fs.writeFileSync(path.join(folder, 'c-good.dcm'), part10(identified(uid(10), element(0x7fe00010, 'OB', gradient(32, 32))), { sopUid: uid(10) }));
  fs.writeFileSync(
    path.join(folder, 'd-syntax.dcm'),
    part10(identified(uid(11), element(0x7fe00010, 'OB', gradient(32, 32))), { sopUid: uid(11), transferSyntax: '1.2.840.10008.1.2.4.100' }),
  );
  fs.writeFileSync(path.join(folder, 'e-nopixels.dcm'), part10(identified(uid(12)), { sopUid: uid(12) }));
  fs.writeFileSync(path.join(folder, 'f-overrun.dcm'), part10(identified(uid(13), element(0x7fe00010, 'OB', gradient(32, 32), 0x7ffffff0)), { sopUid: uid(13) }));
  fs.writeFileSync(path.join(folder, 'g-tiny-truncated.dcm'), part10(concat([imageHeader({ sopUid: uid(14), patientName: NAME, patientId: PATIENT_ID, rows: 2, cols: 2 }), element(0x7fe00010, 'OB', new Uint8Array(3))]), { sopUid: uid(14) }));
  for (const f of fs.readdirSync(folder)) expect(leaks(f), 'file names carry no identifiers').toEqual([]);
}, 60_000);

afterAll(async () => {
  await s?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('no patient identifiers in logs or error text', () => {
  it('cxr import: stdout (JSON summary with error rows) and stderr are free of names and IDs', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'import', folder, '--data-dir', dataDir, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ImportSummary;
    // The files really were read and failed in the ways meant.
    expect(summary.imported).toBeGreaterThanOrEqual(5);
    expect(summary.errors.length).toBeGreaterThanOrEqual(4);
    expect(leaks(r.stdout)).toEqual([]);
    expect(leaks(r.stderr)).toEqual([]);
    // Human-readable output too.
    const human = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'import', folder, '--data-dir', dataDir], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(human.status, human.stderr).toBe(0);
    expect(leaks(human.stdout + human.stderr)).toEqual([]);
    console.log(`privacy: cxr import ${summary.imported} imported, ${summary.errors.length} error rows, no identifiers in ${r.stdout.length + r.stderr.length + human.stdout.length + human.stderr.length} bytes of CLI output`);
  }, 180_000);

  it('the catalog holds the identifiers (so the greps below could find them) but error rows and audit details do not', () => {
    s = createServices({ dataDir });
    const db = s.catalog;
    expect(db.prepare('SELECT name FROM patients WHERE name IS NOT NULL').pluck().all()).toContain(NAME);
    const errorRows = db.prepare('SELECT path, reason FROM import_errors').all();
    expect(errorRows.length).toBeGreaterThanOrEqual(4);
    expect(leaks(JSON.stringify(errorRows))).toEqual([]);
    expect(leaks(JSON.stringify(db.prepare('SELECT summary_json FROM imports').pluck().all()))).toEqual([]);
    expect(leaks(JSON.stringify(db.prepare('SELECT * FROM audit_log').all()))).toEqual([]);
  });

  it('IPC: errors on every channel, import events and the worklist search audit carry no identifiers', async () => {
    h = createHandlers(s);
    const origLog = console.log;
    const origWarn = console.warn;
    const origError = console.error;
    const origWrite = process.stderr.write.bind(process.stderr);
    const grab = (...a: unknown[]) => captured.push(a.map(String).join(' '));
    console.log = grab;
    console.warn = grab;
    console.error = grab;
    process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return (origWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    const events: unknown[] = [];
    const off = s.events.subscribe((e, p) => events.push({ e, p }));
    const messages: string[] = [];
    try {
      const ids = s.catalog.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
      const payloads = [{}, ...ids.flatMap((id) => [{ imageId: id }, { imageIds: [id] }, { imageId: id, label: 'NORMAL' }, { imageId: id, size: 64 }])];
      let calls = 0;
      for (const channel of CHANNELS) {
        if (channel === 'import.start' || channel.endsWith('chooseFolder') || channel === 'training.start') continue;
        for (const p of payloads) {
          const res = await h[channel](p);
          calls++;
          if (!res.ok) messages.push(`${channel}: ${res.error.message} ${JSON.stringify(res.error.issues ?? [])}`);
        }
      }
      // A search by the patient's name is recorded in the audit log when the view is exported.
      const search = await h['worklist.query']({ filters: { text: 'Zqxjvorth' } });
      expect(search.ok).toBe(true);
      await h['export.csv']({ filters: { text: 'Zqxjvorth' } });
      // The import worker's progress and done events.
      s.importRoots.add(folder);
      const done = new Promise<void>((resolve) => {
        const o = s.events.subscribe((e) => {
          if (e === 'import.done') {
            o();
            resolve();
          }
        });
      });
      expect((await h['import.start']({ roots: [folder] })).ok).toBe(true);
      await done;
      expect(messages.length).toBeGreaterThan(10);
      expect(leaks(messages.join('\n'))).toEqual([]);
      expect(leaks(JSON.stringify(events))).toEqual([]);
      expect(leaks(JSON.stringify(s.catalog.prepare('SELECT * FROM audit_log').all()))).toEqual([]);
      expect(leaks(captured.join('\n'))).toEqual([]);
      console.log = origLog;
      console.log(`privacy: ${calls} IPC calls, ${messages.length} error messages, ${events.length} events, audit log: no identifiers`);
    } finally {
      off();
      console.log = origLog;
      console.warn = origWarn;
      console.error = origError;
      process.stderr.write = origWrite;
    }
  }, 180_000);

  it('exports the worklist de-identified by default (and only with identifiers when asked)', async () => {
    const saved = path.join(work, 'export.csv');
    const h2 = createHandlers(Object.assign(Object.create(s) as Services, { chooseSaveFile: async () => saved }));
    const plain = await h2['export.csv']({});
    expect(plain.ok).toBe(true);
    const reply = (plain as { value: { rowCount: number } }).value;
    expect(reply.rowCount).toBeGreaterThan(0);
    // The CSV stays in main: the reply carries no rows.
    expect(leaks(JSON.stringify(reply))).toEqual([]);
    expect(leaks(fs.readFileSync(saved, 'utf8'))).toEqual([]);
    expect(fs.statSync(saved).mode & 0o077).toBe(0);
    const withIds = await h2['export.csv']({ includeIdentifiers: true });
    expect(withIds.ok).toBe(true);
    expect(leaks(fs.readFileSync(saved, 'utf8'))).not.toEqual([]);
  });
});

/**
 * A PACS that is down, unknown, slow, wants credentials, is not DICOMweb, or sends a broken
 * multipart or a cut instance: each gets an error that says what failed, and nothing already
 * catalogued is lost. The misbehaviour comes from a proxy in front of a real Orthanc.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempServices, SHARED_DATA } from '../../../../test/helpers/tempServices';
import { freePort, orthancAvailability, startOrthanc, type Orthanc } from '../../../../test/helpers/orthanc';
import { startFaultyPacs, type FaultyPacs } from './faultyPacs';
import { PacsError } from '../pacsError';
import { retrievedStudyDir } from '../inbox';

const DICOM_DIR = path.join(SHARED_DATA, 'dicom');
const state = orthancAvailability();
if (!state.ok) console.warn(`bad-PACS tests skipped: ${state.reason}`);

let orthanc: Orthanc;
let locked: Orthanc;
let proxy: FaultyPacs;
let s: ReturnType<typeof tempServices>;
let catalogued: unknown[];
const DX_STUDY = '1.3.6.1.4.1.11129.5.5.112507010803284478207522016832191866964708';
const RG1_STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';
/** Two 100 x 100 JPEG baseline films: quick to decode even on a loaded machine, unlike RG1's. */
const SC_STUDY = '1.2.826.0.1.3680043.8.498.12406831542731051035295345080039845114';

const snapshot = () => s.catalog.prepare('SELECT id, sop_uid, content_hash, source_path, status FROM images ORDER BY id').all();

async function failure(p: Promise<unknown>): Promise<PacsError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PacsError);
    return err as PacsError;
  }
  throw new Error('expected a PacsError');
}

beforeAll(async () => {
  if (!state.ok) return;
  [orthanc, locked] = await Promise.all([startOrthanc(), startOrthanc({ users: { radiology: 'correct horse' } })]);
  await orthanc.upload(['nih_cxr14_chest_DX.dcm', 'RG1_J2KI.dcm', 'RG1_JLSN.dcm', 'SC_rgb_jpeg_dcmtk.dcm', 'SC_rgb_jpeg_lossy_gdcm.dcm'].map((f) => path.join(DICOM_DIR, f)));
  await locked.upload([path.join(DICOM_DIR, 'RG3_JPLY.dcm')]);
  proxy = await startFaultyPacs(orthanc.url);
  s = tempServices('cxr-pacs-bad-');
  // What is already catalogued before any bad PACS: one film retrieved the normal way.
  const first = await s.pacs.retrieve([DX_STUDY], { url: orthanc.dicomweb }).done;
  expect(first.import?.imported).toBe(1);
  catalogued = snapshot();
}, 90_000);

afterAll(async () => {
  s?.cleanup();
  await proxy?.close();
  await Promise.all([orthanc?.stop(), locked?.stop()]);
});

describe.skipIf(!state.ok)('a PACS that misbehaves', () => {
  it('down (nothing listens): "connection refused", in the query, the connection test and a retrieve', async () => {
    const url = `http://127.0.0.1:${await freePort()}/dicom-web`;
    const e = await failure(s.pacs.query({ modalities: ['CR', 'DX'], limit: 10 }, { url }));
    expect(e.kind).toBe('refused');
    expect(e.message).toMatch(/^the study search at 127\.0\.0\.1:\d+ failed: connection refused/);
    await s.pacs.update({ dicomweb: { url, auth: 'none', username: '', timeoutMs: 5000 } });
    const test = await s.pacs.testConnection('dicomweb');
    expect(test).toMatchObject({ ok: false, kind: 'refused' });
    const r = await s.pacs.retrieve([DX_STUDY], { url }).done;
    expect(r.status).toBe('failed');
    expect(r.failures[0]).toMatchObject({ kind: 'refused' });
    expect(snapshot()).toEqual(catalogued);
  });

  it('an unknown host: "host name not found"', async () => {
    const e = await failure(s.pacs.query({ modalities: ['CR'], limit: 1 }, { url: 'http://no-such-pacs.invalid/dicom-web', timeoutMs: 10_000 }));
    expect(e.kind).toBe('dns');
    expect(e.message).toContain('host name not found');
  });

  it('slow: a timeout that names the limit, well before the PACS would have answered', async () => {
    proxy.mode = 'slow';
    const t0 = performance.now();
    const e = await failure(s.pacs.query({ modalities: ['DX'], limit: 1 }, { url: `${proxy.url}/dicom-web`, timeoutMs: 800 }));
    expect(e.kind).toBe('timeout');
    expect(e.message).toContain('no answer within 0.8 s');
    expect(performance.now() - t0).toBeLessThan(2500);
    proxy.mode = 'pass';
    expect(snapshot()).toEqual(catalogued);
  });

  it('401: without or with wrong credentials says so; the right basic credentials get through', async () => {
    const url = locked.dicomweb;
    const none = await failure(s.pacs.query({ modalities: ['CR'], limit: 5 }, { url }));
    expect(none.kind).toBe('unauthorized');
    expect(none.message).toContain('HTTP 401');
    const wrong = await failure(s.pacs.query({ modalities: ['CR'], limit: 5 }, { url, auth: { kind: 'basic', username: 'radiology', password: 'wrong' } }));
    expect(wrong.kind).toBe('unauthorized');
    expect(wrong.message).not.toContain('wrong');
    await s.pacs.update({ dicomweb: { url, auth: 'basic', username: 'radiology', secret: 'correct horse', timeoutMs: 5000 } });
    expect(await s.pacs.testConnection('dicomweb')).toMatchObject({ ok: true });
    expect((await s.pacs.query({ modalities: ['CR'], limit: 5 })).length).toBe(1);
  });

  it('not DICOMweb (an intranet page, or Orthanc\'s own REST root): "not a DICOM JSON list"', async () => {
    proxy.mode = 'html';
    const html = await failure(s.pacs.query({ modalities: ['CR'], limit: 1 }, { url: `${proxy.url}/dicom-web` }));
    expect(html.kind).toBe('not_dicomweb');
    expect(html.message).toContain('text/html');
    proxy.mode = 'pass';
    const rest = await failure(s.pacs.query({ modalities: ['CR'], limit: 1 }, { url: orthanc.url }));
    expect(rest.kind).toBe('not_dicomweb');
  });

  it('a malformed multipart answer: each instance fails with "not a well-formed multipart", nothing catalogued is lost', async () => {
    proxy.mode = 'broken-multipart';
    const r = await s.pacs.retrieve([RG1_STUDY], { url: `${proxy.url}/dicom-web` }).done;
    proxy.mode = 'pass';
    expect(r.status).toBe('failed');
    expect(r.failures.length).toBe(2);
    for (const f of r.failures) {
      expect(f.kind).toBe('malformed');
      expect(f.reason).toMatch(/multipart/);
      expect(f.sopInstanceUID).toMatch(/^1\.3\.6\.1\.4\.1\.5962/);
    }
    expect(snapshot()).toEqual(catalogued);
  });

  it('a connection cut mid-instance: "connection closed", no half file left in the inbox', async () => {
    proxy.mode = 'cut-connection';
    const r = await s.pacs.retrieve([RG1_STUDY], { url: `${proxy.url}/dicom-web` }).done;
    proxy.mode = 'pass';
    expect(r.failures.map((f) => f.kind)).toEqual(['reset', 'reset']);
    expect(r.failures[0]!.reason).toMatch(/connection closed/);
    const dir = retrievedStudyDir(s.dataDir, RG1_STUDY);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    expect(snapshot()).toEqual(catalogued);
  });

  it('a truncated instance in a well-formed answer: imported as undecodable with its reason, then repaired by a good retrieve', async () => {
    proxy.mode = 'truncated-instance';
    const bad = await s.pacs.retrieve([SC_STUDY], { url: `${proxy.url}/dicom-web` }).done;
    proxy.mode = 'pass';
    expect(bad.failures).toEqual([]);
    const imp = bad.import!;
    // Each cut film is an error row or catalogued as undecodable, never silently dropped.
    expect((imp.excluded.undecodable ?? 0) + imp.errorCount).toBe(2);
    const now = snapshot() as { id: number }[];
    expect(now.slice(0, catalogued.length)).toEqual(catalogued);
    const good = await s.pacs.retrieve([SC_STUDY], { url: orthanc.dicomweb, auth: { kind: 'none' } }).done;
    expect(good.import!.repaired + good.import!.imported).toBe(2);
    const rows = s.catalog
      .prepare('SELECT i.exclusion_reason FROM images i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id WHERE st.study_uid = ?')
      .pluck()
      .all(SC_STUDY);
    expect(rows.length).toBe(2);
    expect(rows.includes('undecodable')).toBe(false);
    expect(snapshot().slice(0, catalogued.length)).toEqual(catalogued);
  }, 120_000);

  it('a transient cut (the first answer of each instance) is retried once: the study arrives whole', async () => {
    proxy.mode = 'cut-first';
    const r = await s.pacs.retrieve([DX_STUDY, RG1_STUDY], { url: `${proxy.url}/dicom-web` }).done;
    proxy.mode = 'pass';
    expect(r.failures).toEqual([]);
    expect(r.retrieved).toBe(3);
    expect(r.import!.imported + r.import!.duplicates + r.import!.repaired).toBe(3);
  }, 60_000);
});

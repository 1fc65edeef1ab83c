/**
 * The PACS round trip against a real Orthanc (Debian's orthanc + orthanc-dicomweb): the 15 sample
 * DICOM files uploaded through Orthanc's REST API, queried and retrieved over DICOMweb into the
 * inbox and the import pipeline, predicted with the shipped model, and sent back as Structured
 * Reports, which are read back from Orthanc and checked with dcmjs and with dcmtk's dsrdump.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../services/services';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { dcmtkAvailable, orthancAvailability, startOrthanc, type Orthanc } from '../../../../test/helpers/orthanc';
import { runTool } from '../../../../test/helpers/dcmtk';
import { submitReview } from '../../catalog/reviews';
import { REVIEWER_SETTING, setSetting } from '../../catalog/settings';
import { dcmjs, type NaturalDataset } from '../dcmjsModules';
import { COMPREHENSIVE_SR, RESEARCH_CAPTION } from '../structuredReport';
import { SECONDARY_CAPTURE } from '../secondaryCapture';

const DICOM_DIR = path.join(SHARED_DATA, 'dicom');
const SAMPLES = fs.readdirSync(DICOM_DIR).filter((f) => f.endsWith('.dcm')).map((f) => path.join(DICOM_DIR, f));
const orthancState = orthancAvailability();
const ready = orthancState.ok && dcmtkAvailable();
if (!ready) console.warn(`PACS round trip skipped: ${orthancState.ok ? 'dcmtk (storescu, dsrdump) is not installed' : orthancState.reason}`);

let orthanc: Orthanc;
let s: Services;
let dir: string;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  if (!ready) return;
  orthanc = await startOrthanc();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-pacs-rt-'));
  s = createServices({ dataDir: dir });
  await s.pacs.update({ dicomweb: { url: orthanc.dicomweb, auth: 'none', username: '', timeoutMs: 20_000 }, dimse: { aet: orthanc.aet, host: '127.0.0.1', port: orthanc.dicomPort } });
}, 60_000);

afterAll(async () => {
  if (!ready) return;
  console.log(`PACS round trip figures: ${JSON.stringify(figures)}`);
  s?.close();
  await orthanc?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const readDataset = (bytes: ArrayBuffer): NaturalDataset => dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(bytes).dict);

/** Every content item of an SR, depth first. */
function contentItems(node: NaturalDataset): NaturalDataset[] {
  const kids = (node.ContentSequence as NaturalDataset[] | undefined) ?? [];
  return kids.flatMap((k) => [k, ...contentItems(k)]);
}
const meaning = (item: NaturalDataset) => ((item.ConceptNameCodeSequence as NaturalDataset[] | NaturalDataset | undefined) as NaturalDataset[] | undefined)?.[0]?.CodeMeaning ?? (item.ConceptNameCodeSequence as NaturalDataset | undefined)?.CodeMeaning;
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

async function orthancInstances(): Promise<{ ID: string; MainDicomTags: Record<string, string>; ParentSeries: string }[]> {
  return (await (await orthanc.rest('/instances?expand')).json()) as never;
}

describe.skipIf(!ready)('the PACS round trip against a real Orthanc', () => {
  it('uploads the 15 sample files through the REST API, and DICOMweb finds the CR/DX studies by modality and patient ID', async () => {
    const up = await orthanc.upload(SAMPLES);
    expect(up.every((u) => u.status === 'Success')).toBe(true);
    const stats = (await (await orthanc.rest('/statistics')).json()) as { CountInstances: number; CountStudies: number };
    expect(stats.CountInstances).toBe(SAMPLES.length);
    figures.uploaded = stats.CountInstances;

    const studies = (await (await orthanc.rest('/studies?expand')).json()) as { MainDicomTags: { StudyInstanceUID: string }; Series: string[] }[];
    const modalitiesOf = async (st: (typeof studies)[number]) =>
      Promise.all(st.Series.map(async (id) => ((await (await orthanc.rest(`/series/${id}`)).json()) as { MainDicomTags: { Modality: string } }).MainDicomTags.Modality));
    const expectedCrDx: string[] = [];
    for (const st of studies) if ((await modalitiesOf(st)).some((m) => m === 'CR' || m === 'DX')) expectedCrDx.push(st.MainDicomTags.StudyInstanceUID);

    const found = await s.pacs.query({ modalities: ['CR', 'DX'], limit: 100 });
    expect(found.map((f) => f.studyInstanceUID).sort()).toEqual(expectedCrDx.sort());
    expect(found.every((f) => f.modalities.some((m) => m === 'CR' || m === 'DX'))).toBe(true);
    expect(found.every((f) => typeof f.instances === 'number' && f.instances > 0)).toBe(true);
    const rg3 = await s.pacs.query({ patientId: '11RG3', modalities: ['CR', 'DX'], limit: 100 });
    expect(rg3.length).toBeGreaterThan(0);
    expect(rg3.every((f) => f.patientId === '11RG3')).toBe(true);
    const none = await s.pacs.query({ patientId: 'NO-SUCH-PATIENT', modalities: ['CR', 'DX'], limit: 100 });
    expect(none).toEqual([]);
  });

  it('retrieves every study into the inbox and the import pipeline: each instance catalogued, screened like a folder import', async () => {
    const all = await s.pacs.query({ modalities: [], limit: 100 });
    const progress: number[] = [];
    const off = s.events.subscribe((e, p) => {
      if (e === 'pacs.retrieveProgress') progress.push((p as { retrieved: number }).retrieved);
    });
    const { done } = s.pacs.retrieve(all.map((a) => a.studyInstanceUID));
    const summary = await done;
    off();
    expect(summary.failures).toEqual([]);
    expect(summary.status).toBe('completed');
    expect(summary.retrieved).toBe(SAMPLES.length);
    expect(summary.import?.status).toBe('completed');
    expect(summary.import!.imported).toBe(SAMPLES.length);
    expect(summary.import!.errors).toEqual([]);
    expect(Math.max(...progress)).toBe(SAMPLES.length);
    const rows = s.catalog.prepare('SELECT sop_uid, source_path, status, exclusion_reason FROM images').all() as { sop_uid: string; source_path: string; status: string; exclusion_reason: string | null }[];
    expect(rows.length).toBe(SAMPLES.length);
    // Same screening as a folder import: CT and MR are catalogued but excluded, with the reason.
    expect(rows.filter((r) => r.exclusion_reason === 'modality_ct_mr').length).toBe(2);
    expect(rows.every((r) => r.source_path.startsWith(path.join(dir, 'pacs-inbox')))).toBe(true);
    // Byte for byte what was uploaded (as stored: no transcoding on the way).
    const byName = new Map(SAMPLES.map((f) => [fs.readFileSync(f).length, f]));
    for (const r of rows) expect(byName.has(fs.statSync(r.source_path).size)).toBe(true);
    figures.retrieved = summary.retrieved;
    figures.catalogued = rows.length;
    figures.eligible = rows.filter((r) => r.status === 'eligible').length;
    figures.excluded = rows.filter((r) => r.status === 'excluded').reduce<Record<string, number>>((m, r) => ((m[r.exclusion_reason!] = (m[r.exclusion_reason!] ?? 0) + 1), m), {});

    // A second retrieve of the same studies adds nothing: the import dedupes.
    const again = await s.pacs.retrieve([all[0]!.studyInstanceUID]).done;
    expect(again.import!.imported).toBe(0);
    expect(again.import!.duplicates).toBe(again.retrieved);
    expect(s.catalog.prepare('SELECT count(*) FROM images').pluck().get()).toBe(SAMPLES.length);
  }, 180_000);

  it('predicts the retrieved images as a folder import is, then sends one SR per prediction back into its study', async () => {
    const pred = await s.predictions.run({}, { inline: true });
    const eligible = s.catalog.prepare(`SELECT count(*) FROM images WHERE status = 'eligible'`).pluck().get() as number;
    expect(pred.predicted).toBe(eligible);
    const ids = (s.catalog.prepare('SELECT image_id FROM predictions').pluck().all() as number[]).sort((a, b) => a - b);
    const before = (await orthancInstances()).length;
    const sent = await s.pacs.send({ imageIds: ids });
    expect(sent.failed).toEqual([]);
    expect(sent.sent.length).toBe(ids.length);
    expect(sent.sent.every((o) => o.sopClassUID === COMPREHENSIVE_SR)).toBe(true);
    const after = await orthancInstances();
    expect(after.length).toBe(before + ids.length);

    let dsrdumpClean = 0;
    let rightStudy = 0;
    for (const o of sent.sent) {
      const hit = after.find((i) => i.MainDicomTags.SOPInstanceUID === o.sopInstanceUID);
      expect(hit, `SR ${o.sopInstanceUID} is in Orthanc`).toBeDefined();
      const bytes = await (await orthanc.rest(`/instances/${hit!.ID}/file`)).arrayBuffer();
      const sr = readDataset(bytes);
      const src = s.catalog
        .prepare(
          `SELECT i.sop_uid, st.study_uid, pr.p_covid, pr.p_normal, pr.p_pneumonia, pr.band_json, m.name FROM images i JOIN series se ON se.id = i.series_id
           JOIN studies st ON st.id = se.study_id JOIN predictions pr ON pr.image_id = i.id JOIN models m ON m.id = pr.model_id WHERE i.id = ?`,
        )
        .get(o.imageId) as { sop_uid: string; study_uid: string; p_covid: number; p_normal: number; p_pneumonia: number; band_json: string; name: string };
      // Same patient and study as the source, so the PACS files it beside the film.
      expect(sr.StudyInstanceUID).toBe(src.study_uid);
      const sourceFile = s.catalog.prepare('SELECT source_path FROM images WHERE id = ?').pluck().get(o.imageId) as string;
      const source = readDataset(new Uint8Array(fs.readFileSync(sourceFile)).buffer);
      for (const k of ['PatientID', 'PatientName', 'PatientBirthDate', 'PatientSex', 'AccessionNumber', 'StudyDate']) expect(sr[k] ?? '', k).toEqual(source[k] ?? '');
      expect(sr.Modality).toBe('SR');
      const items = contentItems(sr);
      const image = items.find((i) => i.ValueType === 'IMAGE')!;
      expect(asList<NaturalDataset>(image.ReferencedSOPSequence as NaturalDataset)[0]!.ReferencedSOPInstanceUID).toBe(src.sop_uid);
      expect(items.some((i) => i.ValueType === 'TEXT' && i.TextValue === RESEARCH_CAPTION)).toBe(true);
      expect(items.find((i) => meaning(i) === 'Algorithm Name')?.TextValue).toBe(src.name);
      const probs = items.filter((i) => meaning(i) === 'Calibrated probability').map((i) => Number(asList<NaturalDataset>(i.MeasuredValueSequence as NaturalDataset)[0]!.NumericValue));
      expect(probs).toEqual([src.p_covid, src.p_normal, src.p_pneumonia].map((p) => Number((100 * p).toFixed(1))));
      const band = JSON.parse(src.band_json) as Record<string, { lo: number; hi: number }>;
      const lows = items.filter((i) => meaning(i) === '95 % band, lower bound').map((i) => Number(asList<NaturalDataset>(i.MeasuredValueSequence as NaturalDataset)[0]!.NumericValue));
      expect(lows[0]).toBe(Number((100 * band.COVID19!.lo).toFixed(1)));
      if (hit!.ParentSeries && sr.StudyInstanceUID === src.study_uid) rightStudy++;

      // dcmtk's reader: no error, no warning, and the probabilities in its text.
      const file = path.join(dir, `${o.imageId}.sr.dcm`);
      fs.writeFileSync(file, Buffer.from(bytes));
      const dump = await runTool('dsrdump', [file]);
      expect(dump.code).toBe(0);
      expect(dump.stderr).toBe('');
      expect(dump.stdout).toContain('Comprehensive SR Document');
      expect(dump.stdout).toContain(`"Calibrated probability")="${(100 * src.p_covid).toFixed(1)}" (%,UCUM,"percent")`);
      expect(dump.stdout).toContain('Research use only');
      dsrdumpClean++;
    }
    figures.srsSent = sent.sent.length;
    figures.srsInRightStudy = rightStudy;
    figures.dsrdumpClean = dsrdumpClean;
    expect(rightStudy).toBe(ids.length);
  }, 240_000);

  it('sends again idempotently: the same UIDs, nothing new in Orthanc, each attempt audited', async () => {
    const ids = s.catalog.prepare('SELECT image_id FROM predictions ORDER BY image_id').pluck().all() as number[];
    const first = s.catalog.prepare(`SELECT image_id, sop_instance_uid FROM pacs_sends WHERE status = 'sent' ORDER BY image_id`).all();
    const before = (await orthancInstances()).length;
    const again = await s.pacs.send({ imageIds: ids });
    expect(again.failed).toEqual([]);
    expect(again.sent.map((o) => ({ image_id: o.imageId, sop_instance_uid: o.sopInstanceUID }))).toEqual(first);
    expect((await orthancInstances()).length).toBe(before);
    expect(s.catalog.prepare(`SELECT count(*) FROM pacs_sends WHERE status = 'sent'`).pluck().get()).toBe(2 * ids.length);
    expect(s.catalog.prepare(`SELECT count(*) FROM audit_log WHERE action = 'pacs.send'`).pluck().get()).toBeGreaterThanOrEqual(2);
    const history = (await import('../../catalog/pacs')).sendHistory(s.catalog, ids[0]!);
    expect(history.length).toBe(2);
    expect(history[0]!.destination).toBe(`127.0.0.1:${orthanc.httpPort}`);
  }, 120_000);

  it("carries the clinician's review: a reviewed result is a new SR with the reviewer and label, in the same series", async () => {
    const id = s.catalog.prepare('SELECT image_id FROM predictions ORDER BY image_id LIMIT 1').pluck().get() as number;
    setSetting(s.catalog, REVIEWER_SETTING, 'Dr Round Trip');
    submitReview(s.catalog, id, 'NORMAL');
    const before = s.catalog.prepare(`SELECT sop_instance_uid FROM pacs_sends WHERE image_id = ? ORDER BY id DESC LIMIT 1`).pluck().get(id);
    const firstSeries = (await orthancInstances()).find((i) => i.MainDicomTags.SOPInstanceUID === before)!.ParentSeries;
    const r = await s.pacs.send({ allReviewed: true });
    expect(r.sent.map((o) => o.imageId)).toEqual([id]);
    expect(r.sent[0]!.sopInstanceUID).not.toBe(before);
    const hit = (await orthancInstances()).find((i) => i.MainDicomTags.SOPInstanceUID === r.sent[0]!.sopInstanceUID)!;
    expect(hit.ParentSeries).toBe(firstSeries);
    const file = path.join(dir, 'reviewed.sr.dcm');
    fs.writeFileSync(file, Buffer.from(await (await orthanc.rest(`/instances/${hit.ID}/file`)).arrayBuffer()));
    const dump = await runTool('dsrdump', [file]);
    expect(dump.stderr).toBe('');
    expect(dump.stdout).toContain('"Reviewer")="Dr Round Trip"');
    expect(dump.stdout).toMatch(/"Reviewer's class"\)=\(NORMAL,99CXR,"Normal"\)/);
  }, 60_000);

  it('sends by C-STORE to the DIMSE peer too, with a heatmap Secondary Capture in the same study', async () => {
    const id = s.catalog.prepare(`SELECT p.image_id FROM predictions p JOIN images i ON i.id = p.image_id WHERE i.sop_uid LIKE '1.3.6.1.4.1.11129%'`).pluck().get() as number;
    expect((await s.pacs.testConnection('dimse')).ok).toBe(true);
    const r = await s.pacs.send({ imageIds: [id], via: 'dimse', includeHeatmap: true });
    expect(r.failed).toEqual([]);
    expect(r.sent.map((o) => o.kind).sort()).toEqual(['sc', 'sr']);
    const sc = r.sent.find((o) => o.kind === 'sc')!;
    expect(sc.sopClassUID).toBe(SECONDARY_CAPTURE);
    const hit = (await orthancInstances()).find((i) => i.MainDicomTags.SOPInstanceUID === sc.sopInstanceUID);
    expect(hit).toBeDefined();
    const ds = readDataset(await (await orthanc.rest(`/instances/${hit!.ID}/file`)).arrayBuffer());
    expect(ds.StudyInstanceUID).toBe(r.sent[0]!.studyInstanceUID);
    expect(ds.BurnedInAnnotation).toBe('YES');
    expect(ds.SamplesPerPixel).toBe(3);
    // The heatmap is burnt in: the image is coloured, not grey.
    const px = new Uint8Array((ds.PixelData as ArrayBuffer[])[0]!);
    let coloured = 0;
    for (let i = 0; i < px.length; i += 3) if (Math.abs(px[i]! - px[i + 2]!) > 40) coloured++;
    expect(coloured / (px.length / 3)).toBeGreaterThan(0.05);
    const preview = Buffer.from(await (await orthanc.rest(`/instances/${hit!.ID}/preview`)).arrayBuffer());
    fs.mkdirSync(path.resolve('test-results/screenshots'), { recursive: true });
    fs.writeFileSync(path.resolve('test-results/screenshots/pacs-heatmap-sc.png'), preview);
    figures.cStoreSent = r.sent.length;
  }, 120_000);
});

import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { createHandlers } from '../../ipc/handlers';
import type { ImportProgress, ImportStatus, ImportSummary } from '../../../shared/import';
import { row, values } from '../../../../test/helpers/catalogQuery';

const DICOM = path.join(SHARED_DATA, 'dicom');
const s = tempServices('cxr-import-ipc-');
afterAll(() => s.cleanup());
// The app's folder dialog, stood in for: it "chooses" the DICOM samples folder.
Object.assign(s, { chooseFolder: async () => DICOM });
const handlers = createHandlers(s);

describe('import over IPC (worker thread)', () => {
  it('refuses a root the user did not choose in the dialog', async () => {
    const res = await handlers['import.start']({ roots: ['/etc'], labelsFromFolders: false });
    expect(res).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    if (!res.ok) expect(res.error.message).toContain('/etc');
  });

  it('imports the chosen DICOM folder in a worker, with progress and done events, and screens the 15 samples', async () => {
    const chosen = await handlers['import.chooseFolder']({});
    // The chosen folder is allowed as its real path (folderAccess resolves links), so compare that.
    expect(chosen).toEqual({ ok: true, value: { folder: fs.realpathSync(DICOM) } });

    const progress: ImportProgress[] = [];
    let pings = 0;
    const done = new Promise<ImportSummary>((resolve) => {
      s.events.subscribe((event, payload) => {
        if (event === 'import.progress') progress.push(payload as ImportProgress);
        if (event === 'import.done') resolve(payload as ImportSummary);
      });
    });
    const started = await handlers['import.start']({ roots: [DICOM] });
    expect(started.ok).toBe(true);
    // The main thread stays free while the worker decodes 2k x 2k images.
    const timer = setInterval(() => pings++, 20);
    const busy = await handlers['import.start']({ roots: [DICOM] });
    expect(busy).toMatchObject({ ok: false, error: { code: 'BUSY' } });
    const summary = await done;
    clearInterval(timer);
    expect(pings).toBeGreaterThan(5);

    expect(summary).toMatchObject({ status: 'completed', scanned: 16, imported: 15, skipped: { not_an_image: 1 }, errors: [] });
    expect(summary.excluded).toEqual({ modality_ct_mr: 2, body_part_not_chest: 7 });
    expect(summary.warnings).toEqual({ modality_ot: 3, no_body_part: 6 });
    expect(summary.transferSyntaxes).toMatchObject({
      '1.2.840.10008.1.2': 1,
      '1.2.840.10008.1.2.1': 1,
      '1.2.840.10008.1.2.1.99': 1,
      '1.2.840.10008.1.2.5': 2,
      '1.2.840.10008.1.2.4.50': 2,
      '1.2.840.10008.1.2.4.51': 2,
      '1.2.840.10008.1.2.4.70': 1,
      '1.2.840.10008.1.2.4.80': 1,
      '1.2.840.10008.1.2.4.81': 1,
      '1.2.840.10008.1.2.4.90': 1,
      '1.2.840.10008.1.2.4.91': 2,
    });
    expect(progress.at(-1)).toMatchObject({ done: 16, total: 16 });

    const eligible = values<string>(s.catalog, `SELECT source_path FROM images WHERE status = 'eligible' ORDER BY source_path`).map((p) => path.basename(p));
    expect(eligible).toEqual([
      'RG1_J2KI.dcm',
      'RG1_JLSN.dcm',
      'SC_rgb_jpeg_dcmtk.dcm',
      'SC_rgb_jpeg_lossy_gdcm.dcm',
      'image_dfl.dcm',
      'nih_cxr14_chest_DX.dcm',
    ]);
    const nih = row(
      s.catalog,
      `SELECT i.rows, i.cols, i.transfer_syntax, i.photometric, se.modality, st.study_uid IS NOT NULL AS has_study, p.patient_key
       FROM images i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id
       WHERE i.source_path LIKE '%nih_cxr14_chest_DX.dcm'`,
    );
    expect(nih).toEqual({ rows: 1024, cols: 1024, transfer_syntax: '1.2.840.10008.1.2', photometric: 'MONOCHROME2', modality: 'DX', has_study: 1, patient_key: 'Covid0000' });

    const status = await handlers['import.status']({});
    expect(status.ok).toBe(true);
    const st = (status as { value: ImportStatus }).value;
    expect(st).toMatchObject({ running: false, last: { importId: summary.importId, imported: 15 } });
    expect(await handlers['import.cancel']({})).toEqual({ ok: true, value: { cancelled: false } });
  });
});

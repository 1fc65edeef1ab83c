/**
 * The DICOM receiver with dcmtk as the modality: storescu pushes the 15 sample files (each in its
 * own transfer syntax), and each one ends up catalogued (eligible, or excluded with its reason)
 * or refused by the receiver with its reason. echoscu checks Verification; a restricted receiver
 * refuses an unknown calling AE and logs it without patient data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempServices, SHARED_DATA } from '../../../../test/helpers/tempServices';
import { dcmtkAvailable } from '../../../../test/helpers/orthanc';
import { runTool, writeStorescuProfile } from '../../../../test/helpers/dcmtk';
import type { PacsReceiverStatus } from '../../../shared/pacs';

const DICOM_DIR = path.join(SHARED_DATA, 'dicom');
const SAMPLES = fs.readdirSync(DICOM_DIR).filter((f) => f.endsWith('.dcm')).map((f) => path.join(DICOM_DIR, f));
const ready = dcmtkAvailable();
if (!ready) console.warn('receiver tests skipped: dcmtk (storescu, echoscu) is not installed (apt-get install dcmtk)');

let s: ReturnType<typeof tempServices>;
const logs: string[] = [];

beforeAll(async () => {
  if (!ready) return;
  s = tempServices('cxr-pacs-recv-');
  s.events.subscribe((e, p) => {
    if (e === 'system.log') logs.push((p as { message: string }).message);
  });
});
afterAll(() => s?.cleanup());

/** Waits for the receiver's import of the next association. */
const nextImport = () =>
  new Promise<PacsReceiverStatus>((resolve) => {
    const off = s.events.subscribe((e, p) => {
      if (e !== 'pacs.received') return;
      off();
      resolve(p as PacsReceiverStatus);
    });
  });

describe.skipIf(!ready)('the DICOM receiver (C-STORE SCP) with storescu', () => {
  it('is off by default and answers C-ECHO once enabled', async () => {
    expect(s.pacs.receiverStatus().listening).toBe(false);
    await s.pacs.applyReceiverSettings({ enabled: true, aet: 'CXRTEST', port: 0 });
    const port = s.pacs.receiver!.port!;
    const echo = await runTool('echoscu', ['-aet', 'MODALITY', '-aec', 'CXRTEST', '127.0.0.1', String(port)]);
    expect(echo.code).toBe(0);
  });

  it('stores the 15 sample files as sent and imports them: each catalogued, or refused with its reason', async () => {
    const port = s.pacs.receiver!.port!;
    const profile = writeStorescuProfile(s.dataDir);
    const imported = nextImport();
    const push = await runTool('storescu', ['-nh', '-xf', profile.file, profile.profile, '-aet', 'MODALITY', '-aec', 'CXRTEST', '127.0.0.1', String(port), ...SAMPLES]);
    expect(push.code).toBe(0);
    const status = await imported;
    // Refused by the receiver: the SOP classes it does not take (CT, MR), named by storescu.
    const refused = [...push.stderr.matchAll(/No presentation context for: \((\w+)\) ([\d.]+)/g)].map((m) => m[1]);
    expect(refused.sort()).toEqual(['CT', 'MR']);
    expect(status.received).toBe(SAMPLES.length - refused.length);
    expect(status.lastImport!.imported).toBe(SAMPLES.length - refused.length);
    expect(status.lastImport!.errors).toEqual([]);
    const rows = s.catalog.prepare('SELECT i.sop_uid, i.status, i.exclusion_reason, i.transfer_syntax, i.source_path FROM images i').all() as {
      sop_uid: string;
      status: string;
      exclusion_reason: string | null;
      transfer_syntax: string;
      source_path: string;
    }[];
    expect(rows.length).toBe(SAMPLES.length - refused.length);
    // Each file arrived in its own transfer syntax (nothing transcoded on the way).
    const syntaxes = new Set(rows.map((r) => r.transfer_syntax));
    expect(syntaxes.size).toBeGreaterThanOrEqual(10);
    expect(rows.every((r) => r.status === 'eligible' || r.exclusion_reason)).toBe(true);
    const outcome = rows.reduce<Record<string, number>>((m, r) => ((m[r.exclusion_reason ?? 'eligible'] = (m[r.exclusion_reason ?? 'eligible'] ?? 0) + 1), m), {});
    console.log(`receiver figures: ${JSON.stringify({ pushed: SAMPLES.length, received: status.received, refusedBySopClass: refused, catalogued: rows.length, outcome, transferSyntaxes: syntaxes.size })}`);
    // Written whole under the inbox: no .part file left.
    const left = fs.readdirSync(path.dirname(rows[0]!.source_path)).filter((f) => f.endsWith('.part'));
    expect(left).toEqual([]);
  }, 120_000);

  it('pushing the same films again adds nothing: the import dedupes', async () => {
    const port = s.pacs.receiver!.port!;
    const profile = writeStorescuProfile(s.dataDir);
    const imported = nextImport();
    const push = await runTool('storescu', ['-nh', '-xf', profile.file, profile.profile, '-aet', 'MODALITY', '-aec', 'CXRTEST', '127.0.0.1', String(port), ...SAMPLES.slice(0, 4)]);
    expect(push.code).toBe(0);
    const status = await imported;
    expect(status.lastImport!.imported).toBe(0);
    expect(status.lastImport!.duplicates).toBeGreaterThan(0);
  }, 60_000);

  it('refuses an unknown calling AE when restricted, and logs the refusal without patient data', async () => {
    await s.pacs.update({ localAet: 'CXRTEST', receiver: { enabled: true, port: 0, allowedCallingAets: ['TRUSTED'] } });
    const port = s.pacs.receiver!.port!;
    const before = s.catalog.prepare('SELECT count(*) FROM images').pluck().get();
    const push = await runTool('storescu', ['-aet', 'STRANGER', '-aec', 'CXRTEST', '127.0.0.1', String(port), path.join(DICOM_DIR, 'nih_cxr14_chest_DX.dcm')]);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/Calling AE Title Not Recognized/);
    expect(s.pacs.receiverStatus().refusedAssociations).toBe(1);
    const line = logs.find((l) => l.includes('refused'))!;
    expect(line).toContain('STRANGER');
    expect(line).not.toMatch(/Covid0000|CompressedSamples|9RG1/);
    expect(s.catalog.prepare('SELECT count(*) FROM images').pluck().get()).toBe(before);
    const ok = await runTool('echoscu', ['-aet', 'TRUSTED', '-aec', 'CXRTEST', '127.0.0.1', String(port)]);
    expect(ok.code).toBe(0);
  });

  it('close() stops listening: the port is free again', async () => {
    const port = s.pacs.receiver!.port!;
    await s.pacs.update({ receiver: { enabled: false, port, allowedCallingAets: [] } });
    expect(s.pacs.receiverStatus().listening).toBe(false);
    const echo = await runTool('echoscu', ['-to', '2', '-aet', 'TRUSTED', '-aec', 'CXRTEST', '127.0.0.1', String(port)]);
    expect(echo.code).not.toBe(0);
    expect(echo.stderr).toMatch(/refused|Association Request Failed/i);
  });
});

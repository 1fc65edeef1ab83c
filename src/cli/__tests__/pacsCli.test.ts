/**
 * `cxr pacs` as a user runs it, in a child process against a real Orthanc: query, retrieve (with
 * prediction), send-results and listen, each --json run printing one JSON object as its last
 * stdout line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA } from '../../../test/helpers/tempServices';
import { dcmtkAvailable, freePort, orthancAvailability, startOrthanc, type Orthanc } from '../../../test/helpers/orthanc';
import { runTool } from '../../../test/helpers/dcmtk';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const DX = path.join(SHARED_DATA, 'dicom', 'nih_cxr14_chest_DX.dcm');
const state = orthancAvailability();
const ready = state.ok && dcmtkAvailable();
if (!ready) console.warn(`cxr pacs CLI tests skipped: ${state.ok ? 'dcmtk is not installed' : state.reason}`);

let orthanc: Orthanc;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-pacs-cli-'));
const db = path.join(dir, 'catalog.sqlite');

function cxr(args: string[], opts: { onStderr?: (line: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: ROOT, env: { ...process.env, CXR_DATA_DIR: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n')) if (line) opts.onStderr?.(line, child);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

beforeAll(async () => {
  if (!ready) return;
  orthanc = await startOrthanc();
  await orthanc.upload([DX]);
}, 60_000);
afterAll(async () => {
  await orthanc?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)('cxr pacs', () => {
  let study = '';
  it('query prints {studies:[{studyInstanceUID, patientId, studyDate, modalities, instances}]}', async () => {
    const r = await cxr(['pacs', 'query', '--dicomweb', orthanc.dicomweb, '--modality', 'CR,DX', '--json', '--db', db]);
    expect(r.code).toBe(0);
    const out = lastJson(r.stdout) as { studies: Record<string, unknown>[] };
    expect(out.studies).toHaveLength(1);
    expect(Object.keys(out.studies[0]!).sort()).toEqual(['instances', 'modalities', 'patientId', 'studyDate', 'studyInstanceUID']);
    expect(out.studies[0]).toMatchObject({ patientId: 'Covid0000', modalities: ['DX'], instances: 1 });
    study = out.studies[0]!.studyInstanceUID as string;
  }, 60_000);

  it('retrieve prints the import summary; --predict predicts the new image', async () => {
    const r = await cxr(['pacs', 'retrieve', '--dicomweb', orthanc.dicomweb, '--study', study, '--predict', '--json', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out).toMatchObject({ status: 'completed', imported: 1, errorCount: 0, retrieve: { listed: 1, retrieved: 1, failures: [] } });
    expect(r.stderr).toMatch(/predicted 1 new image/);
  }, 180_000);

  it('send-results prints {sent:[{sopInstanceUID, sopClassUID}]} and the SR is in Orthanc', async () => {
    const r = await cxr(['pacs', 'send-results', '--dicomweb', orthanc.dicomweb, '--study', study, '--json', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as { sent: { sopInstanceUID: string; sopClassUID: string }[] };
    expect(out.sent).toHaveLength(1);
    expect(out.sent[0]!.sopClassUID).toBe('1.2.840.10008.5.1.4.1.1.88.33');
    const found = (await (await orthanc.rest('/tools/lookup', { method: 'POST', body: out.sent[0]!.sopInstanceUID })).json()) as unknown[];
    expect(found).toHaveLength(1);
  }, 120_000);

  it('a PACS that is down: exit 1 and {error} naming what failed, on stdout as JSON', async () => {
    const r = await cxr(['pacs', 'query', '--dicomweb', `http://127.0.0.1:${await freePort()}/dicom-web`, '--json', '--db', db]);
    expect(r.code).toBe(1);
    expect((lastJson(r.stdout).error as string)).toMatch(/connection refused/);
    const usage = await cxr(['pacs', 'retrieve', '--dicomweb', orthanc.dicomweb, '--db', db]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--study/);
  }, 60_000);

  it('listen runs the receiver headless until SIGINT, importing and predicting what arrives', async () => {
    const port = await freePort();
    let pushed = false;
    const r = await cxr(['pacs', 'listen', '--aet', 'CXRCLI', '--port', String(port), '--json', '--db', db], {
      onStderr: (line, child) => {
        if (line.startsWith('listening') && !pushed) {
          pushed = true;
          void runTool('storescu', ['-aet', 'MODALITY', '-aec', 'CXRCLI', '127.0.0.1', String(port), path.join(SHARED_DATA, 'dicom', 'image_dfl.dcm')]);
        }
        if (/^predicted/.test(line)) child.kill('SIGINT');
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as { received: number; imports: { imported: number }[] };
    expect(out.received).toBe(1);
    expect(out.imports.map((i) => i.imported)).toEqual([1]);
  }, 180_000);
});

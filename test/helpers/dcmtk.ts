/**
 * dcmtk's command-line tools for the PACS tests: storescu (a modality pushing films) and dsrdump
 * (an independent reader of our Structured Reports). Always spawned asynchronously: the receiver
 * under test runs on this process's event loop.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function runTool(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Transfer syntaxes by dcmtk's names, one presentation context each, so every file goes as it is stored. */
const SYNTAXES = [
  'LittleEndianImplicit',
  'LittleEndianExplicit',
  'DeflatedLittleEndianExplicit',
  'RLELossless',
  'JPEGBaseline',
  'JPEGExtended:Process2+4',
  'JPEGLossless:Non-hierarchical-1stOrderPrediction',
  'JPEGLSLossless',
  'JPEGLSLossy',
  'JPEG2000LosslessOnly',
  'JPEG2000',
];
const CLASSES = ['ComputedRadiographyImageStorage', 'DigitalXRayImageStorageForPresentation', 'SecondaryCaptureImageStorage', 'CTImageStorage', 'MRImageStorage'];

/**
 * A storescu profile proposing each storage class of the samples in each transfer syntax
 * (storescu's own default proposes uncompressed only, and would transcode or fail).
 * CT and MR are proposed too, to see the receiver refuse them.
 */
export function writeStorescuProfile(dir: string): { file: string; profile: string } {
  const lines = ['[[TransferSyntaxes]]'];
  SYNTAXES.forEach((ts, i) => lines.push(`[TS${i}]`, `TransferSyntax1 = ${ts}`));
  lines.push('[[PresentationContexts]]', '[CxrSamples]');
  let n = 0;
  for (const c of CLASSES) SYNTAXES.forEach((_, i) => lines.push(`PresentationContext${++n} = ${c}\\TS${i}`));
  lines.push('[[Profiles]]', '[CxrSamples]', 'PresentationContexts = CxrSamples');
  const file = path.join(dir, 'storescu-cxr.cfg');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, profile: 'CxrSamples' };
}

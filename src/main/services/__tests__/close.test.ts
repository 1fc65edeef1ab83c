import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CXR3_VAL, labelledValFolder } from '../../../../test/helpers/trainingFixtures';
import { tempServices } from '../../../../test/helpers/tempServices';
import { liveWorkers } from '../../workers/startWorker';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const CHILD = path.join(import.meta.dirname, 'fixtures/closeChild.ts');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs the child to its own end (or kills it after `limitMs`), collecting its stdout lines. */
function runChild(args: string[], limitMs: number): Promise<{ code: number | null; lines: string[]; stderr: string; endedByItself: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let endedByItself = true;
    const timer = setTimeout(() => {
      endedByItself = false;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: stdout.split('\n').filter(Boolean), stderr, endedByItself });
    });
  });
}

const line = (lines: string[], tag: string): unknown => {
  const l = lines.find((x) => x.startsWith(`${tag} `));
  return l === undefined ? undefined : JSON.parse(l.slice(tag.length + 1));
};

describe('services.close()', () => {
  it('ends the import, inference and training threads it started, records the runs, and the process exits by itself', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-close-'));
    const labelled = labelledValFolder(12);
    dirs.push(dataDir, labelled);
    // cxr3 val (570 images) takes far longer to import than the child waits: the import is mid-run at close.
    const r = await runChild([dataDir, labelled, CXR3_VAL], 240_000);
    const report = `stdout:\n${r.lines.join('\n')}\nstderr:\n${r.stderr.slice(-4000)}`;
    expect(r.endedByItself, `the process did not exit by itself after close\n${report}`).toBe(true);
    expect(r.code, report).toBe(0);
    const running = line(r.lines, 'running') as string[];
    expect(running, report).toEqual(expect.arrayContaining(['import', 'inference', 'training']));
    expect(line(r.lines, 'left'), report).toEqual([]);
    expect(line(r.lines, 'outcome'), report).toEqual({ training: 'failed', trainingRow: 'failed', import: 'cancelled', importRow: 'cancelled' });
  }, 300_000);

  it('closes the catalog once, even when called twice, and refuses to make a service afterwards', async () => {
    const s = tempServices('cxr-close-twice-');
    void s.training;
    const first = s.close();
    expect(s.close()).toBe(first);
    await first;
    expect(s.catalog.open).toBe(false);
    expect(() => s.imports).toThrow(/after the services closed/);
    expect(liveWorkers()).toEqual([]);
    fs.rmSync(s.dataDir, { recursive: true, force: true });
  });
});

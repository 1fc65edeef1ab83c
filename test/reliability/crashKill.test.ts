import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices, type Services } from '../../src/main/services/services';
import { setSetting } from '../../src/main/catalog/settings';
import { submitReview } from '../../src/main/catalog/reviews';
import { runImport } from '../../src/main/import/importRun';
import { stagingRoot } from '../../src/main/training/trainingService';
import { trainingConfig } from '../../src/shared/training';
import { LABELS } from '../../src/shared/labels';
import { CXR3_VAL, importLabelled, installBaseModel, labelledValFolder, linkImage } from '../helpers/trainingFixtures';

/**
 * kill -9 of a child process in the middle of each long write: an import (extending
 * src/main/import/__tests__/importCrash.test.ts with reviews and an active model that must survive), a
 * prediction batch and a training run. After each: integrity_check ok, no duplicates, earlier
 * reviews and the active model untouched, and a rerun completes.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(ROOT, 'test/reliability/crashChild.ts');
const PER_CLASS = 16;

let dataDir: string;
let labelled: string;
let base: { id: string; dir: string };
const cleanup: string[] = [];

interface Killed {
  signal: NodeJS.Signals | null;
  killedOn: string | null;
  lines: string[];
  stderr: string;
}

/** Spawns a child and SIGKILLs it on the first output line `when` accepts. */
function runAndKill(args: string[], when: (line: string) => boolean, stream: 'stdout' | 'stderr' = 'stdout'): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { ...process.env, CXR_DEFAULT_MODEL_DIR: base.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Killed = { signal: null, killedOn: null, lines: [], stderr: '' };
    let buf = '';
    child[stream].on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const line of parts) {
        out.lines.push(line);
        if (out.killedOn === null && when(line)) {
          out.killedOn = line;
          child.kill('SIGKILL');
        }
      }
    });
    if (stream === 'stdout') child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ ...out, signal }));
  });
}

/** What must never change under a crash: the reviews, the active model and the registry. */
function snapshot(s: Services) {
  const db = s.catalog;
  return {
    reviews: db.prepare('SELECT * FROM reviews ORDER BY id').all(),
    active: db.prepare('SELECT id FROM models WHERE is_active = 1').pluck().all(),
    models: db.prepare('SELECT id, path, is_builtin FROM models ORDER BY id').all(),
  };
}

function checkCatalog(s: Services): void {
  const db = s.catalog;
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  expect(db.prepare('SELECT sop_uid FROM images GROUP BY sop_uid HAVING count(*) > 1').all()).toEqual([]);
  expect(db.prepare('SELECT source_path FROM images GROUP BY source_path HAVING count(*) > 1').all()).toEqual([]);
  expect(db.prepare('SELECT image_id FROM predictions GROUP BY image_id, model_id HAVING count(*) > 1').all()).toEqual([]);
}

function open(): Services {
  return createServices({ dataDir });
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-crash-'));
  labelled = labelledValFolder(PER_CLASS);
  const s = open();
  try {
    expect(await importLabelled(s, labelled)).toBe(3 * PER_CLASS);
    base = await installBaseModel(s);
    setSetting(s.catalog, 'reviewer_name', 'Dr Crash');
    const ids = s.catalog.prepare('SELECT id FROM images ORDER BY id LIMIT 3').pluck().all() as number[];
    ids.forEach((id, i) => submitReview(s.catalog, id, LABELS[i % 3]!));
  } finally {
    await s.close();
  }
}, 180_000);

afterAll(() => {
  for (const d of [dataDir, labelled, base?.dir, ...cleanup]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('kill -9 mid-write', () => {
  it('mid-prediction batch: whole batches only, no duplicates, reviews and active model intact, a rerun finishes', async () => {
    const s0 = open();
    const before = snapshot(s0);
    const eligible = (s0.catalog.prepare(`SELECT count(*) FROM images WHERE status = 'eligible'`).pluck().get() as number);
    await s0.close();
    const k = await runAndKill([CHILD, 'predict', dataDir], (l) => {
      const m = /^progress (\d+) (\d+)/.exec(l);
      return m !== null && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
    });
    expect(k.killedOn, `child finished before it could be killed:\n${k.lines.join('\n')}\n${k.stderr}`).not.toBeNull();
    expect(k.signal).toBe('SIGKILL');

    const s = open();
    try {
      checkCatalog(s);
      const partial = s.catalog.prepare('SELECT count(*) FROM predictions').pluck().get() as number;
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(eligible);
      // A batch (16) is written in one transaction: never half of one.
      expect(partial % 16).toBe(0);
      expect(snapshot(s)).toEqual(before);
      const rerun = await s.predictions.run({}, { nSamples: 4 });
      expect(rerun.cancelled).toBe(false);
      expect(rerun.predicted).toBe(eligible - partial);
      expect(s.catalog.prepare('SELECT count(DISTINCT image_id) FROM predictions').pluck().get()).toBe(eligible);
      checkCatalog(s);
      expect(snapshot(s)).toEqual(before);
      console.log(`crash: prediction killed on "${k.killedOn}" with ${partial}/${eligible} written; rerun predicted ${rerun.predicted}`);
    } finally {
      await s.close();
    }
  }, 180_000);

  it('mid-training: the run is marked failed, staging is removed, registry and active model untouched, a rerun completes', async () => {
    const s0 = open();
    const before = snapshot(s0);
    const predictions = s0.catalog.prepare('SELECT count(*) FROM predictions').pluck().get();
    await s0.close();
    const k = await runAndKill([CHILD, 'train', dataDir], (l) => /^phase training batch [1-9]/.test(l));
    expect(k.killedOn, `child finished before it could be killed:\n${k.lines.join('\n')}\n${k.stderr}`).not.toBeNull();
    expect(k.signal).toBe('SIGKILL');

    const s = open();
    try {
      checkCatalog(s);
      expect(s.catalog.prepare(`SELECT count(*) FROM training_runs WHERE status = 'running'`).pluck().get()).toBe(1);
      // Opening the training service (as the app does at start) closes the dead run and its staging.
      const t = s.training;
      const run = s.catalog.prepare('SELECT status, error, model_id FROM training_runs ORDER BY id DESC LIMIT 1').get() as { status: string; error: string; model_id: string | null };
      expect(run).toMatchObject({ status: 'failed', model_id: null });
      expect(run.error).toMatch(/interrupted/);
      expect(fs.existsSync(stagingRoot(dataDir)) ? fs.readdirSync(stagingRoot(dataDir)) : []).toEqual([]);
      expect(snapshot(s)).toEqual(before);
      expect(s.catalog.prepare('SELECT count(*) FROM predictions').pluck().get()).toBe(predictions);

      const { done } = t.start(trainingConfig.parse({ architecture: 'zhongSlim', start: 'fine-tune', epochs: 1, batchSize: 8, seed: 7 }));
      const d = await done;
      expect(d.status, d.error ?? '').toBe('completed');
      const after = snapshot(s);
      expect(after.reviews).toEqual(before.reviews);
      // The new model is registered beside the old ones and not activated.
      expect(after.active).toEqual(before.active);
      expect(after.models.length).toBe(before.models.length + 1);
      checkCatalog(s);
      console.log(`crash: training killed on "${k.killedOn}"; rerun ${d.status} as ${d.modelId}`);
    } finally {
      await s.close();
    }
  }, 240_000);

  it('mid-import (cxr import, killed after its first committed batch): reviews, predictions and active model intact', async () => {
    // More images than one 64-image batch, none imported yet.
    const more = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-crash-more-'));
    cleanup.push(more);
    fs.mkdirSync(path.join(more, 'PNEUMONIA'));
    const files = fs.readdirSync(path.join(CXR3_VAL, 'PNEUMONIA')).filter((f) => f.endsWith('.jpg')).sort().slice(PER_CLASS, PER_CLASS + 160);
    for (const f of files) linkImage(path.join(CXR3_VAL, 'PNEUMONIA', f), path.join(more, 'PNEUMONIA', f));
    const s0 = open();
    const before = snapshot(s0);
    const imagesBefore = s0.catalog.prepare('SELECT count(*) FROM images').pluck().get() as number;
    const predictions = s0.catalog.prepare('SELECT * FROM predictions ORDER BY id').all();
    await s0.close();
    const k = await runAndKill(
      ['src/cli/index.ts', 'import', more, '--labels-from-folders', '--data-dir', dataDir, '--json'],
      (l) => {
        const m = /: (\d+)\/(\d+) files/.exec(l);
        return m !== null && Number(m[1]) >= 100 && Number(m[1]) < Number(m[2]);
      },
      'stderr',
    );
    expect(k.killedOn, `child finished before it could be killed:\n${k.lines.join('\n')}`).not.toBeNull();
    expect(k.signal).toBe('SIGKILL');

    const s = open();
    try {
      checkCatalog(s);
      const partial = (s.catalog.prepare('SELECT count(*) FROM images').pluck().get() as number) - imagesBefore;
      expect(partial).toBeGreaterThanOrEqual(0);
      expect(partial).toBeLessThan(files.length);
      expect(snapshot(s)).toEqual(before);
      expect(s.catalog.prepare('SELECT * FROM predictions ORDER BY id').all()).toEqual(predictions);
      const rerun = await runImport({ db: s.catalog, dataDir, roots: [more], labelsFromFolders: true });
      expect(rerun).toMatchObject({ status: 'completed', imported: files.length - partial, duplicates: partial, errors: [] });
      expect(s.catalog.prepare('SELECT count(*) FROM images').pluck().get()).toBe(imagesBefore + files.length);
      expect(s.catalog.prepare(`SELECT status FROM imports ORDER BY id DESC LIMIT 2`).pluck().all()).toEqual(['completed', 'failed']);
      checkCatalog(s);
      expect(snapshot(s)).toEqual(before);
      console.log(`crash: import killed on "${k.killedOn}" with ${partial}/${files.length} committed; rerun imported ${rerun.imported}`);
    } finally {
      await s.close();
    }
  }, 180_000);
});

import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempServices } from '../../../test/helpers/tempServices';
import { importLabelled, installBaseModel, labelledValFolder } from '../../../test/helpers/trainingFixtures';
import { modelRow } from '../../main/catalog/models';
import { getRun } from '../../main/catalog/trainingRuns';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../../..');
const s = tempServices('cxr-cli-train-');
let dataDir: string;
let base: { id: string; dir: string };

beforeAll(async () => {
  dataDir = labelledValFolder(25);
  await importLabelled(s, dataDir);
  base = await installBaseModel(s);
}, 120_000);
afterAll(async () => {
  await s.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(base.dir, { recursive: true, force: true });
});

describe('cxr train --from-catalog', () => {
  it('trains from the catalog without the UI, compares with the active model and registers the version', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', 'train', '--from-catalog', '--db', s.catalogPath, '--data-dir', s.dataDir, '--epochs', '1', '--batch-size', '8', '--seed', '3', '--json'],
      { cwd: repo, env: { ...process.env, CXR_DEFAULT_MODEL_DIR: base.dir }, timeout: 240_000, maxBuffer: 1 << 24 },
    );
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.status, stderr).toBe('completed');
    expect(out.dataset.perClass).toEqual({ COVID19: 25, NORMAL: 25, PNEUMONIA: 25 });
    expect(out.comparison.models.map((m: { role: string }) => m.role)).toEqual(['new', 'active']);
    expect(stderr).toMatch(/from catalog: 75 images/);
    expect(modelRow(s.catalog, out.modelId)).toMatchObject({ parent_id: base.id, is_active: 0 });
    expect(getRun(s.catalog, out.runId)).toMatchObject({ status: 'completed', modelId: out.modelId });
  }, 240_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ARCHITECTURES } from '../../src/main/models/architectures';
import { initBackend } from '../../src/main/tfjs/backend';
import { writeCard, type ModelCard } from '../../src/main/models/card';
import { folderIO } from '../../src/main/models/modelFiles';
import { runImport } from '../../src/main/import/importRun';
import { LABELS } from '../../src/shared/labels';
import type { Services } from '../../src/main/services/services';
import { ensureBuiltinRegistered } from '../../src/main/models/activeModel';
import type { OperatingPoint } from '../../src/shared/training';

export const CXR3_VAL = path.resolve(import.meta.dirname, '../../../shared/data/cxr3/images/val');

/**
 * Puts a shared image into a temp folder as a hard link (a copy only across file systems). Not a
 * symlink: the import refuses links that lead outside the chosen folder.
 */
export function linkImage(src: string, dst: string): void {
  try {
    fs.linkSync(src, dst);
  } catch {
    fs.copyFileSync(src, dst);
  }
}

/**
 * A temp folder `<CLASS>/<file>` of hard links to `perClass` images of each class of cxr3 val,
 * from `offset` in name order.
 */
export function labelledValFolder(perClass: number, offset = 0): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-train-data-'));
  for (const label of LABELS) {
    fs.mkdirSync(path.join(dir, label));
    const files = fs.readdirSync(path.join(CXR3_VAL, label)).filter((f) => f.endsWith('.jpg')).sort().slice(offset, offset + perClass);
    for (const f of files) linkImage(path.join(CXR3_VAL, label, f), path.join(dir, label, f));
  }
  return dir;
}

/** Imports a labelled folder through the import service, labels from folder names. */
export async function importLabelled(s: Services, dir: string): Promise<number> {
  const summary = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [dir], labelsFromFolders: true });
  return summary.imported;
}

/**
 * A stand-in shipped default: the compact architecture with seeded random weights and a card,
 * registered as the builtin active model (via CXR_DEFAULT_MODEL_DIR, as a packaged app finds its own).
 */
export async function installBaseModel(s: Services): Promise<{ id: string; dir: string }> {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-base-model-'));
  const arch = ARCHITECTURES.zhongSlim;
  const model = arch.build();
  await model.save(folderIO(dir));
  const id = randomUUID();
  const card: ModelCard = {
    id,
    name: 'test default',
    version: 'test-1',
    architecture: 'zhongSlim',
    inputSize: arch.inputSize,
    channels: arch.channels,
    labels: LABELS,
    parent: null,
    risks: ['random weights: a test stand-in'],
    operatingPoint: fixedOperatingPoint(0.5),
  };
  writeCard(dir, card);
  model.dispose();
  process.env.CXR_DEFAULT_MODEL_DIR = dir;
  ensureBuiltinRegistered(s);
  return { id, dir };
}

/** An operating point set by hand (not derived on val): for cards that need a flag threshold. */
export function fixedOperatingPoint(threshold: number): OperatingPoint {
  return { threshold, targetSensitivity: 0.95, valSensitivity: 0, valSpecificity: 0, valPositives: 0, fallback: true };
}

/** A small, fast training config: one epoch, small batches so an epoch has many of them. */
export const quickConfig = {
  architecture: 'zhongSlim' as const,
  start: 'fine-tune' as const,
  epochs: 1,
  batchSize: 4,
  seed: 7,
};

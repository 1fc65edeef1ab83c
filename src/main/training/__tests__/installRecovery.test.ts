import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { tempServices } from '../../../../test/helpers/tempServices';
import { INSTALLING_MARKER, modelsDir, TrainingService } from '../trainingService';
import { registerModel } from '../../models/registry';
import { modelRow } from '../../catalog/models';

const SHIPPED = path.resolve(import.meta.dirname, '../../../../resources/models/default');
const s = tempServices('cxr-install-recovery-');
afterAll(() => s.cleanup());

/** A model folder as install() leaves it right after its rename: the card's id as its name, the marker inside. */
function installedFolder(id: string, marker: boolean): string {
  const dir = path.join(modelsDir(s.dataDir), id);
  fs.cpSync(SHIPPED, dir, { recursive: true });
  const card = JSON.parse(fs.readFileSync(path.join(dir, 'card.json'), 'utf8')) as { id: string };
  card.id = id;
  fs.writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card));
  if (marker) fs.writeFileSync(path.join(dir, INSTALLING_MARKER), '');
  return dir;
}

describe('the training install after a kill', () => {
  it('removes a folder killed between rename and registration, and finishes one killed after it', () => {
    const orphan = installedFolder('killed-before-register', true);
    const registered = installedFolder('killed-after-register', true);
    registerModel(s, registered);
    const manual = installedFolder('copied-by-hand', false);

    new TrainingService(s);

    expect(fs.existsSync(orphan)).toBe(false);
    expect(modelRow(s.catalog, 'killed-before-register')).toBeUndefined();
    expect(fs.existsSync(path.join(registered, 'model.json'))).toBe(true);
    expect(fs.existsSync(path.join(registered, INSTALLING_MARKER))).toBe(false);
    expect(modelRow(s.catalog, 'killed-after-register')?.path).toBe(registered);
    // A folder that was never an interrupted install is left alone.
    expect(fs.existsSync(path.join(manual, 'model.json'))).toBe(true);
  });
});

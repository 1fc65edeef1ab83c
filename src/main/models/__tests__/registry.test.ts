import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tempServices } from '../../../../test/helpers/tempServices';
import { ARCHITECTURES } from '../architectures';
import { folderIO, loadLayersModel } from '../modelFiles';
import { writeCard, type ModelCard } from '../card';
import { registerModel } from '../registry';
import { activate, activeModel, resolveModel } from '../activeModel';
import { paperRecipe } from '../../training/recipe';
import { LABELS } from '../../../shared/labels';
import { modelVersionRows } from '../../catalog/models';

const services = tempServices('cxr-registry-');
afterAll(async () => {
  delete process.env.CXR_DEFAULT_MODEL_DIR;
  await services.cleanup();
});

function card(id: string): ModelCard {
  const empty = { total: 0, perClass: { COVID19: 0, NORMAL: 0, PNEUMONIA: 0 }, bySource: {} };
  return {
    id, name: `test ${id}`, version: '1', architecture: 'zhongSlim', inputSize: 80, channels: 3, labels: LABELS,
    preprocessing: 'test', params: 0, weightBytes: 0, trainingData: { train: empty, val: empty },
    recipe: paperRecipe('zhongSlim'), bestEpoch: 0, history: [], valMetrics: null, valMetricsBySource: {},
    backend: { name: 'cpu', threads: 1, simd: false }, date: new Date().toISOString(), parent: null, risks: [], intendedUse: 'test',
  };
}

let dirA: string;
let dirB: string;
let expected: Float32Array;
const x = () => tf.randomUniform([2, 80, 80, 3], 0, 1, 'float32', 3);

beforeAll(async () => {
  await tf.setBackend('cpu');
  const model = ARCHITECTURES.zhongSlim.build();
  dirA = path.join(services.dataDir, 'models', 'a');
  dirB = path.join(services.dataDir, 'models', 'b');
  await model.save(folderIO(dirA));
  writeCard(dirA, card('a'));
  fs.cpSync(dirA, dirB, { recursive: true });
  writeCard(dirB, { ...card('b'), parent: 'a' });
  expected = (model.predict(x()) as tf.Tensor).dataSync() as Float32Array;
  model.dispose();
});

describe('model folders and the registry', () => {
  it('a model saved with the folder IO handler loads back with identical outputs', async () => {
    expect(fs.existsSync(path.join(dirA, 'model.json')) && fs.existsSync(path.join(dirA, 'weights.bin'))).toBe(true);
    const loaded = await loadLayersModel(dirA);
    expect(Array.from((loaded.predict(x()) as tf.Tensor).dataSync())).toEqual(Array.from(expected));
    loaded.dispose();
  });

  it('keeps exactly one active model and falls back to the shipped default when none is', async () => {
    process.env.CXR_DEFAULT_MODEL_DIR = dirA;
    registerModel(services, dirA);
    expect(activeModel(services)).toMatchObject({ builtin: true, dir: dirA, id: 'a' });
    registerModel(services, dirB, { activate: true });
    expect(activeModel(services)).toMatchObject({ id: 'b', dir: dirB, builtin: false });
    activate(services, 'a');
    const rows = modelVersionRows(services.catalog).map(({ id, is_active, parent_id }) => ({ id, is_active, parent_id }));
    expect(rows.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'a', is_active: 1, parent_id: null },
      { id: 'b', is_active: 0, parent_id: 'a' },
    ]);
    expect(() => activate(services, 'nope')).toThrow(/no model nope/);
    const r = await resolveModel(services);
    expect(r.card.id).toBe('a');
    r.model.dispose();
  });
});

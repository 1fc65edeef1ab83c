import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { evalCommand } from '../commands/eval';
import type { CliContext } from '../command';
import { ARCHITECTURES } from '../../main/models/architectures';
import { folderIO } from '../../main/models/modelFiles';
import { writeCard, type ModelCard } from '../../main/models/card';
import { paperRecipe } from '../../main/training/recipe';
import { LABELS } from '../../shared/labels';
import { fewPerClass } from '../../../test/helpers/smallData';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-eval-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cxr eval', () => {
  it('reports every JSON key of cxr eval for a model folder on class folders', async () => {
    process.env.CXR_BACKEND = 'wasm';
    // An untrained model is enough to check the report's shape and consistency.
    await tf.setBackend('cpu');
    const model = ARCHITECTURES.zhongSlim.build();
    const modelDir = path.join(dir, 'm');
    await model.save(folderIO(modelDir));
    model.dispose();
    const empty = { total: 0, perClass: { COVID19: 0, NORMAL: 0, PNEUMONIA: 0 }, bySource: {} };
    const card: ModelCard = {
      id: 'eval-test', name: 'eval test', version: '1', architecture: 'zhongSlim', inputSize: 80, channels: 3, labels: LABELS,
      preprocessing: 'test', params: 0, weightBytes: 0, trainingData: { train: empty, val: empty }, recipe: paperRecipe('zhongSlim'),
      bestEpoch: 0, history: [], valMetrics: null, valMetricsBySource: {}, backend: { name: 'cpu', threads: 1, simd: false },
      date: '', parent: null, risks: [], intendedUse: 'test',
    };
    writeCard(modelDir, card);
    // Class folders (<dir>/<CLASS>/file) built from links to a few shared images.
    const data = path.join(dir, 'data');
    for (const s of fewPerClass('val', 3)) {
      fs.mkdirSync(path.join(data, s.label.toLowerCase()), { recursive: true });
      fs.symlinkSync(s.file, path.join(data, s.label.toLowerCase(), path.basename(s.file)));
    }
    const ctx: CliContext = { json: true, progress: () => {}, services: () => { throw new Error('not needed with --model'); } };
    const r = (await evalCommand.run(ctx, { data: [data], model: modelDir }, [])) as Record<string, unknown>;
    for (const k of ['n', 'labels', 'accuracy', 'perClass', 'macro', 'kerasMicro', 'confusion', 'meanTrueProb', 'ece', 'model']) expect(r).toHaveProperty(k);
    expect(r.n).toBe(9);
    const confusion = r.confusion as number[][];
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(9);
    expect(confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([3, 3, 3]);
    const perClass = r.perClass as Record<string, Record<string, number>>;
    expect(Object.keys(perClass)).toEqual([...LABELS]);
    for (const l of LABELS) expect(Object.keys(perClass[l]!).sort()).toEqual(['auc', 'f1', 'precision', 'recall', 'specificity', 'support']);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

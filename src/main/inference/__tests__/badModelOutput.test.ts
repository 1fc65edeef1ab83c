import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tempServices } from '../../../../test/helpers/tempServices';
import { createHandlers } from '../../ipc/handlers';
import { registerModel } from '../../models/registry';
import { readCard } from '../../models/card';
import { TEMPERATURE_RANGE } from '../../confidence/temperature';
import type { PredictSummary } from '../../../shared/predict';
import { addCatalogImage, saveTinyModel } from '../../../../test/helpers/catalogFixture';
import { tinyBranchedModel } from '../../../../test/helpers/tinyModels';
import { rows } from '../../../../test/helpers/catalogQuery';

const CALIBRATION = { eceBefore: 0.2, eceAfter: 0.1, nllBefore: 1, nllAfter: 0.9, n: 10, data: ['test'], fittedAt: '' };

describe('a model whose output is not a probability', () => {
  const s = tempServices('cxr-bad-output-');
  const h = createHandlers(s);
  const ids: number[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    for (let i = 0; i < 3; i++) ids.push(await addCatalogImage(s));
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await s.cleanup();
  });

  it('a card with temperature 1e-45 is clamped when read, and predicts finite probabilities', async () => {
    const dir = path.join(s.dataDir, 'models', 'cold');
    await saveTinyModel(tinyBranchedModel({ channels: 3 }), dir, 16, 3, { calibration: { temperature: 1, ...CALIBRATION } });
    // Written as a hostile or damaged card would be, past the card writer's own checks.
    const cardFile = path.join(dir, 'card.json');
    const raw = JSON.parse(fs.readFileSync(cardFile, 'utf8'));
    raw.calibration.temperature = 1e-45;
    fs.writeFileSync(cardFile, JSON.stringify(raw));
    expect(readCard(dir).calibration!.temperature).toBe(TEMPERATURE_RANGE[0]);
    registerModel(s, dir, { activate: true });
    const res = await h['predict.images']({ imageIds: ids });
    expect(res.ok).toBe(true);
    expect((res as { value: PredictSummary }).value).toMatchObject({ predicted: 3, skipped: [] });
    const probs = rows<{ pc: number; pn: number; pp: number }>(s.catalog, 'SELECT p_covid AS pc, p_normal AS pn, p_pneumonia AS pp FROM predictions');
    for (const p of probs) for (const v of [p.pc, p.pn, p.pp]) expect(Number.isFinite(v)).toBe(true);
  }, 120_000);

  it('NaN probabilities: each item is skipped with its reason, nothing written, nothing uncaught', async () => {
    const model = tinyBranchedModel({ channels: 3, seed: 5 });
    // Every weight NaN: every output is NaN, as an overflowing model or a broken card makes it.
    for (const layer of model.layers) layer.setWeights(layer.getWeights().map((w) => tf.fill(w.shape, NaN)));
    const dir = path.join(s.dataDir, 'models', 'nan');
    await saveTinyModel(model, dir, 16, 3);
    registerModel(s, dir, { activate: true });
    const res = await h['predict.images']({ imageIds: ids });
    expect(res.ok).toBe(true);
    const sum = (res as { value: PredictSummary }).value;
    expect(sum.predicted).toBe(0);
    expect(sum.skipped.map((x) => x.imageId).sort()).toEqual([...ids].sort());
    for (const x of sum.skipped) expect(x.reason).toMatch(/^the model gave a probability of NaN for COVID19, not a finite number in \[0, 1\]$/);
    expect(rows(s.catalog, `SELECT count(*) AS n FROM predictions WHERE model_id = 'tiny-nan'`)).toEqual([{ n: 0 }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(uncaught).toEqual([]);
  }, 120_000);
});

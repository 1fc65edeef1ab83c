import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CARD_JSON, readCard, writeCard, type ModelCard } from '../card';
import { TEMPERATURE_RANGE } from '../../confidence/temperature';
import { loadModel } from '../registry';
import { defaultModelDir } from '../activeModel';
import { folderIO } from '../modelFiles';
import { Predictor } from '../../inference/predictor';
import { LABELS } from '../../../shared/labels';
import { tinyBranchedModel } from '../../../../test/helpers/tinyModels';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function folderWith(card: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-card-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, CARD_JSON), JSON.stringify(card));
  return dir;
}

const minimal = { id: 'm', name: 'minimal', version: '1', architecture: 'zhongSlim', inputSize: 16, channels: 1, labels: [...LABELS] };

describe('the model card schema', () => {
  it("loads the shipped default's card with its confidence parts typed", () => {
    const card = readCard(defaultModelDir());
    expect(card.architecture).toBe('cxrResNet');
    expect(card.calibration?.temperature).toBeGreaterThan(0);
    expect(card.calibration!.eceAfter).toBeLessThan(card.calibration!.eceBefore);
    expect(card.operatingPoint).toMatchObject({ targetSensitivity: 0.95, fallback: false });
    expect(card.operatingPoint!.threshold).toBeGreaterThan(0);
    expect(card.operatingPoint!.threshold).toBeLessThan(1);
    expect(card.conformal).toMatchObject({ score: 'lac', coverage: 0.9 });
    expect(card.conformal?.heldOutFoldCoverage).toHaveLength(5);
    expect(card.ood?.score).toBe('energy');
    expect(card.probe?.perturbations['mask-lung-centre']?.flipRate).toBeGreaterThan(0);
    // Fields the schema does not name (trainedBy) are kept.
    expect(card.trainedBy).toMatch(/train-default\.sh/);
  });

  it('keeps unknown fields, top level and nested, through a write and a read', () => {
    const dir = folderWith({});
    const card = { ...minimal, parent: null, risks: [], fromTheFuture: { x: 1 }, ood: { score: 'energy', threshold: -1, percentile: 0.99, n: 4, note: 'kept' } } as ModelCard;
    writeCard(dir, card);
    const back = readCard(dir);
    expect(back.fromTheFuture).toEqual({ x: 1 });
    expect(back.ood?.note).toBe('kept');
  });

  it('names the folder and the field of a card that does not fit', () => {
    const dir = folderWith({ ...minimal, calibration: { temperature: 'hot' } });
    expect(() => readCard(dir)).toThrow(new RegExp(`the model card of ${dir} is invalid: calibration\\.temperature: `));
    expect(() => readCard(folderWith({ ...minimal, labels: ['NORMAL', 'COVID19', 'PNEUMONIA'] }))).toThrow(/: labels: must be COVID19, NORMAL, PNEUMONIA in that order/);
    expect(() => readCard(folderWith({ ...minimal, id: undefined }))).toThrow(/: id: /);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-card-none-'));
    dirs.push(empty);
    expect(() => readCard(empty)).toThrow(`model folder ${empty} has no card.json`);
  });

  it('refuses to write a card that would not read back', () => {
    const dir = folderWith({});
    expect(() => writeCard(dir, { ...minimal, channels: 2 } as unknown as ModelCard)).toThrow(/: channels: /);
    expect(fs.readFileSync(path.join(dir, CARD_JSON), 'utf8')).toBe('{}');
  });

  it('writes a conformal qhat of Infinity as null and reads it back as Infinity', () => {
    const dir = folderWith({});
    const conformal = { score: 'lac' as const, coverage: 0.9, qhat: Infinity, n: 3, valCoverage: 1, meanSetSize: 3, heldOutFoldCoverage: [] };
    writeCard(dir, { ...minimal, channels: 1, labels: LABELS, parent: null, risks: [], conformal });
    expect(JSON.parse(fs.readFileSync(path.join(dir, CARD_JSON), 'utf8')).conformal.qhat).toBeNull();
    expect(readCard(dir).conformal?.qhat).toBe(Infinity);
  });

  it('clamps a degenerate temperature, so the probabilities stay finite', async () => {
    await tf.setBackend('cpu');
    const calibration = (temperature: number) => ({ temperature, eceBefore: 0, eceAfter: 0, nllBefore: 0, nllAfter: 0, n: 1, data: ['test'], fittedAt: '' });
    const dir = folderWith({ ...minimal, calibration: calibration(1e-45) });
    const model = tinyBranchedModel({ dropout: 0.5 });
    await model.save(folderIO(dir));
    const loaded = await loadModel(dir);
    const predictor = new Predictor(loaded.model, loaded.card, { nSamples: 4 });
    const inputs = Array.from({ length: 3 }, (_, i) => Float32Array.from({ length: 16 * 16 }, (_, j) => ((i * 31 + j * 7) % 97) / 97));
    const preds = await predictor.predict(inputs, [null, null, null]);
    for (const p of preds) {
      const probs = LABELS.map((l) => p.probs[l]);
      expect(probs.every(Number.isFinite), JSON.stringify(p.probs)).toBe(true);
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    loaded.model.dispose();
    model.dispose();
    expect(readCard(folderWith({ ...minimal, calibration: calibration(1e-45) })).calibration?.temperature).toBe(TEMPERATURE_RANGE[0]);
    expect(readCard(folderWith({ ...minimal, calibration: calibration(1e9) })).calibration?.temperature).toBe(TEMPERATURE_RANGE[1]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { predict } from '../commands/predict';
import { calibrate } from '../commands/calibrate';
import { evalCommand } from '../commands/eval';
import type { CliContext } from '../command';
import { readCard } from '../../main/models/card';
import type { ConfidenceEval } from '../../main/confidence/confidenceEval';
import type { ImagePrediction } from '../../main/inference/predictor';
import { SHARED_DATA } from '../../../test/helpers/tempServices';
import { saveTinyModel } from '../../../test/helpers/catalogFixture';
import { rng } from '../../../test/helpers/syntheticLogits';
import { tinyBranchedModel } from '../../../test/helpers/tinyModels';

const ctx: CliContext = {
  json: true,
  progress: () => {},
  services: () => {
    throw new Error('the commands must not open the catalog when --model is given');
  },
};

describe('cxr calibrate and cxr predict', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-cli-'));
  const modelDir = path.join(dir, 'model');
  const data = path.join(dir, 'data');

  beforeAll(async () => {
    await saveTinyModel(tinyBranchedModel({ dropout: 0.5, channels: 3 }), modelDir, 16, 3);
    const r = rng(9);
    for (const [c, label] of ['COVID19', 'NORMAL', 'PNEUMONIA'].entries()) {
      fs.mkdirSync(path.join(data, 'val', label), { recursive: true });
      for (let i = 0; i < 14; i++) {
        const px = Buffer.from(Uint8Array.from({ length: 32 * 32 }, () => Math.floor(r() * 120 + 60 * c)));
        await sharp(px, { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(path.join(data, 'val', label, `${i}.png`));
      }
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('calibrate writes temperature, ECE before/after, conformal, OOD and probe numbers into card.json', async () => {
    const out = (await calibrate.run(ctx, { model: modelDir, data: [data], split: 'val', coverage: '0.9', score: 'lac', sensitivity: '0.95', probe: true }, [])) as { n: number };
    expect(out.n).toBe(42);
    const card = readCard(modelDir);
    expect(card.calibration!.temperature).toBeGreaterThan(0);
    expect(card.calibration!.eceAfter).toBeLessThanOrEqual(card.calibration!.eceBefore + 1e-9);
    expect(card.conformal!.coverage).toBe(0.9);
    expect(card.conformal!.heldOutFoldCoverage).toHaveLength(5);
    expect(card.ood!.score).toBe('energy');
    expect(Object.keys(card.probe!.perturbations)).toContain('mask-lung-centre');
    expect(card.name).toBe('tiny test model');
  });

  it('predict gives probs, band, set and quality per file, excludes a CT DICOM, and writes a heatmap PNG', async () => {
    const png = path.join(data, 'val', 'NORMAL', '0.png');
    const ct = path.join(SHARED_DATA, 'dicom', 'CT_small.dcm');
    const cxr = path.join(SHARED_DATA, 'dicom', 'nih_cxr14_chest_DX.dcm');
    const heat = path.join(dir, 'heat.png');
    const out = (await predict.run(ctx, { model: modelDir, heatmap: heat }, [png, ct, cxr])) as { images: (ImagePrediction & { heatmap?: string })[]; model: { calibrated: boolean } };
    expect(out.model.calibrated).toBe(true);
    const [a, b, c] = out.images;
    expect(Object.values(a!.probs).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    for (const l of ['COVID19', 'NORMAL', 'PNEUMONIA'] as const) {
      expect(a!.band[l].lo).toBeLessThanOrEqual(a!.probs[l]);
      expect(a!.band[l].hi).toBeGreaterThanOrEqual(a!.probs[l]);
    }
    expect(Array.isArray(a!.set)).toBe(true);
    expect(Array.isArray(a!.quality)).toBe(true);
    expect(b!.probs).toBeNull();
    expect(b!.quality[0]).toBe('modality_ct_mr');
    expect(c!.probs).not.toBeNull();
    expect(a!.heatmap).toBe(path.join(dir, 'heat-1.png'));
    const meta = await sharp(c!.heatmap!).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(100);
  });

  it('eval reports ECE before/after, calibrated Table 4, conformal coverage and the probe', async () => {
    const out = (await evalCommand.run(ctx, { model: modelDir, data: [data], split: 'val', probe: true }, [])) as { n: number; confidence: ConfidenceEval & { conformal: NonNullable<ConfidenceEval['conformal']>; probe: NonNullable<ConfidenceEval['probe']> } };
    const c = out.confidence;
    expect(out.n).toBe(42);
    expect(c.temperature).toBeGreaterThan(0);
    expect(c.eceAfter).toBeLessThanOrEqual(c.eceBefore + 1e-9);
    expect(c.meanTrueProbCalibrated.NORMAL.n).toBe(14);
    expect(c.conformal.nominal).toBe(0.9);
    expect(c.conformal.coverage).toBeGreaterThanOrEqual(0.85);
    expect(c.probe.n).toBe(42);
    expect(evalCommand.print!(out)).toMatch(/ECE .* → .*\n[\s\S]*probe mask-lung-centre/);
  });
});

import path from 'node:path';
import { UsageError, type Command } from '../command';
import { initBackend } from '../../main/tfjs/backend';
import { loadModel } from '../../main/models/registry';
import { listSamplesFrom } from '../../main/datasets/dataset';
import { buildImageCache } from '../../main/datasets/imageCache';
import { grayToInput } from '../../main/models/preprocess';
import { Predictor } from '../../main/inference/predictor';
import { calibrateFromScores, scoreInputs, writeConfidenceToCard } from '../../main/confidence/calibrate';
import { runProbe } from '../../main/evaluation/probe';
import type { ConfidenceCard, ProbeReport } from '../../main/models/card';
import { softmaxT } from '../../main/confidence/temperature';
import { deriveOperatingPointBySource } from '../../main/confidence/operatingThreshold';
import type { OperatingPoint } from '../../shared/training';

const asList = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

export const calibrate: Command = {
  summary: "fit a model's temperature, conformal sets and OOD threshold on val (and run the shortcut probe); writes card.json",
  usage: 'cxr calibrate --model <dir> --data <dir|manifest.csv>... [--split val] [--coverage 0.9] [--score lac|aps] [--sensitivity 0.95] [--probe] [--json]',
  options: {
    model: { type: 'string' },
    data: { type: 'string', multiple: true },
    split: { type: 'string', default: 'val' },
    coverage: { type: 'string', default: '0.9' },
    score: { type: 'string', default: 'lac' },
    sensitivity: { type: 'string', default: '0.95' },
    probe: { type: 'boolean', default: false },
  },
  async run(ctx, values) {
    if (typeof values.model !== 'string') throw new UsageError('--model <dir> is required (its card.json is rewritten)');
    const data = asList(values.data);
    if (data.length === 0) throw new UsageError('--data <dir|manifest.csv> is required');
    const coverage = Number(values.coverage);
    if (!(coverage > 0 && coverage < 1)) throw new UsageError('--coverage must be in (0, 1)');
    if (values.score !== 'lac' && values.score !== 'aps') throw new UsageError('--score must be lac or aps');
    const sensitivity = Number(values.sensitivity);
    if (!(sensitivity > 0 && sensitivity < 1)) throw new UsageError('--sensitivity must be in (0, 1)');
    const split = values.split as string;
    const dir = path.resolve(values.model);
    const backend = await initBackend();
    const { model, card } = await loadModel(dir);
    const samples = listSamplesFrom(data, split);
    ctx.progress(`calibrate: ${samples.length} ${split} images, ${card.name} on ${backend.name}`);
    const cache = await buildImageCache(samples, card.inputSize, { onProgress: (d, t) => {
      if (d === t || d % 500 === 0) ctx.progress(`decoding ${d}/${t}`);
    } });
    const px = cache.size * cache.size;
    const inputs = Array.from({ length: cache.count }, (_, i) => grayToInput(cache.pixels.subarray(i * px, (i + 1) * px), card.channels));
    const labels = Array.from(cache.labels);
    // Scores come from the uncalibrated model: strip any earlier calibration from the card view.
    const predictor = new Predictor(model, { inputSize: card.inputSize, channels: card.channels });
    const scores = await scoreInputs(predictor, inputs, labels, (d, t) => {
      if (d === t || d % 256 === 0) ctx.progress(`scoring ${d}/${t}`);
    });
    predictor.dispose();
    const names = data.map((d) => `${path.basename(path.resolve(d))} ${split}`);
    const parts: ConfidenceCard & { operatingPoint?: OperatingPoint } = calibrateFromScores(scores, { data: names, coverage, score: values.score });
    // The COVID-19 flag: on calibrated val probabilities, every source with enough COVID-19 films at the target sensitivity.
    const pCovid = scores.logits.map((z) => softmaxT(z, parts.calibration!.temperature)[0]!);
    parts.operatingPoint = deriveOperatingPointBySource(pCovid, labels.map((l) => l === 0), cache.sources, sensitivity);
    let probe: ProbeReport | undefined;
    if (values.probe) {
      const calibrated = new Predictor(model, { inputSize: card.inputSize, channels: card.channels, ...parts });
      probe = await runProbe(calibrated, inputs, {
        labels,
        data: names.join(' + '),
        onProgress: (d, t) => {
          if (d === t || d % 128 === 0) ctx.progress(`probe ${d}/${t}`);
        },
      });
      calibrated.dispose();
      parts.probe = probe;
    }
    writeConfidenceToCard(dir, parts);
    model.dispose();
    return { model: { id: card.id, dir }, n: scores.labels.length, ...parts };
  },
  print(result) {
    const r = result as Required<ConfidenceCard> & { n: number; model: { dir: string }; operatingPoint: OperatingPoint };
    const c = r.calibration;
    const lines = [
      `${r.model.dir}: calibrated on ${r.n} images (${c.data.join(', ')})`,
      `  temperature ${c.temperature.toFixed(4)}  ECE ${c.eceBefore.toFixed(4)} → ${c.eceAfter.toFixed(4)}  NLL ${c.nllBefore.toFixed(4)} → ${c.nllAfter.toFixed(4)}`,
      `  conformal ${r.conformal.score} at ${r.conformal.coverage}: qhat ${r.conformal.qhat}  val coverage ${r.conformal.valCoverage.toFixed(4)}  mean set size ${r.conformal.meanSetSize.toFixed(3)}  held-out folds ${r.conformal.heldOutFoldCoverage.map((v) => v.toFixed(3)).join(' ')}`,
      `  OOD ${r.ood.score} threshold ${r.ood.threshold.toFixed(4)} (val p${Math.round(r.ood.percentile * 100)})`,
      `  COVID-19 flag at p ≥ ${r.operatingPoint.threshold.toFixed(4)}: val sensitivity ${r.operatingPoint.valSensitivity.toFixed(3)}, specificity ${r.operatingPoint.valSpecificity.toFixed(3)}; ` +
        Object.entries(r.operatingPoint.bySource ?? {})
          .map(([src, v]) => `${src} sens ${v.sensitivity?.toFixed(3) ?? '-'} spec ${v.specificity?.toFixed(3) ?? '-'}`)
          .join(', '),
    ];
    if (r.probe) {
      for (const [name, p] of Object.entries(r.probe.perturbations)) {
        lines.push(`  probe ${name.padEnd(18)} flip ${(100 * p.flipRate).toFixed(1)}%  →COVID ${(100 * p.flipToCovidRate).toFixed(1)}%  Δp(COVID) ${p.meanDeltaPCovid.toFixed(3)}`);
      }
    }
    return lines.join('\n');
  },
};

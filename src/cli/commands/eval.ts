import { UsageError, type Command } from '../command';
import { listSamplesFrom, type Sample } from '../../main/datasets/dataset';
import { buildImageCache } from '../../main/datasets/imageCache';
import { metricsBySource, predictCache, type EvalMetrics } from '../../main/evaluation/evaluate';
import { initBackend } from '../../main/tfjs/backend';
import { resolveModel } from '../../main/models/activeModel';
import { evalConfidence, type ConfidenceEval } from '../../main/confidence/confidenceEval';
import { flagRates } from '../../main/confidence/operatingThreshold';
import type { ImageCache } from '../../main/datasets/imageCache';
import { LABELS } from '../../shared/labels';

interface FlagFigures {
  sensitivity: number | null;
  specificity: number | null;
  /** Share of all images flagged. */
  flagged: number;
  n: number;
}

/**
 * The worklist's COVID-19 flag on these images: calibrated p(COVID-19) at or above the card's
 * operating threshold, overall and per source. Null when the card sets no threshold.
 */
function flagAtCard(probs: Float32Array, cache: ImageCache, temperature: number, threshold: number | undefined): (FlagFigures & { threshold: number; bySource: Record<string, FlagFigures> }) | null {
  if (threshold === undefined) return null;
  const k = LABELS.length;
  const pCovid = Array.from({ length: cache.count }, (_, i) => {
    // Temperature on log-probabilities: softmax(log p / T), the predictor's calibrated p.
    const w = Array.from({ length: k }, (_, j) => Math.max(1e-12, probs[i * k + j]!) ** (1 / temperature));
    return w[0]! / w.reduce((a, b) => a + b, 0);
  });
  const figures = (idx: number[]): FlagFigures => {
    const p = idx.map((i) => pCovid[i]!);
    const y = idx.map((i) => cache.labels[i] === 0);
    const r = flagRates(p, y, threshold);
    const pos = y.filter(Boolean).length;
    return { sensitivity: pos ? r.sensitivity : null, specificity: idx.length - pos ? r.specificity : null, flagged: p.filter((v) => v >= threshold).length / Math.max(1, idx.length), n: idx.length };
  };
  const all = Array.from({ length: cache.count }, (_, i) => i);
  const sources = [...new Set(cache.sources)];
  return { threshold, ...figures(all), bySource: Object.fromEntries(sources.map((s) => [s, figures(all.filter((i) => cache.sources[i] === s))])) };
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

function samplesFrom(values: Record<string, unknown>, key: 'data' | 'val', split?: string): Sample[] {
  const args = asList(values[key]);
  if (key === 'data' && args.length === 0) throw new UsageError('--data <dir|manifest.csv> is required');
  return listSamplesFrom(args, split);
}

export const evalCommand: Command = {
  summary: 'evaluate a model on labelled images: accuracy, per-class metrics, AUC, confusion, Table 4 CIs, ECE',
  usage: 'cxr eval --data <dir|manifest.csv>... [--split val] [--model <dir>] [--probe] [--json]',
  options: {
    data: { type: 'string', multiple: true },
    split: { type: 'string' },
    model: { type: 'string' },
    /** The shortcut probe (probe.ts): class flip rates under masking, corner markers, resizing. */
    probe: { type: 'boolean', default: false },
  },
  async run(ctx, values) {
    const samples = samplesFrom(values, 'data', typeof values.split === 'string' ? values.split : undefined);
    const backend = await initBackend();
    const loaded = await resolveModel(typeof values.model === 'string' ? null : ctx.services(), values.model as string | undefined);
    const { card } = loaded;
    ctx.progress(`eval: ${samples.length} images with ${card.name} (${card.architecture}) on ${backend.name}`);
    const cache = await buildImageCache(samples, card.inputSize, { onProgress: (d, t) => {
      if (d === t || d % 1000 === 0) ctx.progress(`decoding ${d}/${t}`);
    } });
    const probs = await predictCache(loaded.model, cache, card.channels);
    const { all, bySource } = metricsBySource(probs, cache);
    // ECE before/after the card's temperature, calibrated Table 4, conformal coverage, OOD rate, probe.
    const confidence = await evalConfidence(loaded.model, card, cache, {
      probe: Boolean(values.probe),
      data: asList(values.data).join(' + '),
      onProgress: ctx.progress,
    });
    loaded.model.dispose();
    const op = card.operatingPoint as { threshold?: unknown } | undefined;
    const temperature = (card.calibration as { temperature?: number } | undefined)?.temperature ?? 1;
    const flag = flagAtCard(probs, cache, temperature, typeof op?.threshold === 'number' ? op.threshold : undefined);
    return {
      ...all,
      bySource,
      flag,
      confidence,
      model: { id: loaded.id, dir: loaded.dir, name: card.name, architecture: card.architecture, version: card.version, builtin: loaded.builtin },
      backend: backend.name,
    };
  },
  print(result) {
    const r = result as EvalMetrics & { model: { name: string } };
    const lines = [`${r.model.name}: n ${r.n}, accuracy ${r.accuracy.toFixed(4)}, macro F1 ${r.macro.f1.toFixed(4)}, ECE ${r.ece.toFixed(4)}`];
    for (const l of r.labels) {
      const c = r.perClass[l];
      lines.push(
        `  ${l.padEnd(9)} P ${c.precision.toFixed(3)} R ${c.recall.toFixed(3)} F1 ${c.f1.toFixed(3)} spec ${c.specificity.toFixed(3)} AUC ${c.auc?.toFixed(3) ?? '-'} n ${c.support} ` +
          `mean p(true) ${r.meanTrueProb[l].mean.toFixed(3)} [${r.meanTrueProb[l].lo.toFixed(3)}, ${r.meanTrueProb[l].hi.toFixed(3)}]`,
      );
    }
    lines.push(`  confusion (rows actual, cols predicted ${r.labels.join('/')}): ${JSON.stringify(r.confusion)}`);
    lines.push(`  Keras micro precision ${r.kerasMicro.precision.toFixed(4)} recall ${r.kerasMicro.recall.toFixed(4)}`);
    const f = (result as { flag: ReturnType<typeof flagAtCard> }).flag;
    const pc = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);
    if (f) lines.push(`  COVID-19 flag at p ≥ ${f.threshold.toFixed(4)}: sensitivity ${pc(f.sensitivity)}, specificity ${pc(f.specificity)}, flagged ${pc(f.flagged)}`);
    else lines.push('  COVID-19 flag: the card sets no operating threshold');
    const c = (result as { confidence?: ConfidenceEval }).confidence;
    if (c) {
      lines.push(`  calibration: T ${c.temperature?.toFixed(4) ?? 'none'}  ECE ${c.eceBefore.toFixed(4)} → ${c.eceAfter.toFixed(4)}`);
      for (const l of r.labels) {
        const m = c.meanTrueProbCalibrated[l];
        lines.push(`  ${l.padEnd(9)} calibrated mean p(true) ${m.mean.toFixed(3)} [${m.lo.toFixed(3)}, ${m.hi.toFixed(3)}]`);
      }
      if (c.conformal) {
        const by = Object.entries(c.conformal.byClass).map(([l, v]) => `${l} ${v.toFixed(3)}`).join(', ');
        lines.push(`  conformal sets: coverage ${c.conformal.coverage.toFixed(4)} (nominal ${c.conformal.nominal}), mean size ${c.conformal.meanSetSize.toFixed(3)}, empty ${c.conformal.emptySets}; by class ${by}`);
      }
      if (c.oodFlaggedRate !== null) lines.push(`  OOD flagged ${(100 * c.oodFlaggedRate).toFixed(1)}%`);
      for (const [name, p] of Object.entries(c.probe?.perturbations ?? {})) {
        lines.push(`  probe ${name.padEnd(18)} flip ${(100 * p.flipRate).toFixed(1)}%  →COVID ${(100 * p.flipToCovidRate).toFixed(1)}%  Δp(COVID) ${p.meanDeltaPCovid.toFixed(3)}`);
      }
    }
    return lines.join('\n');
  },
};

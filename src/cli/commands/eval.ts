import { UsageError, type Command } from '../command';
import { listSamplesFrom, type Sample } from '../../main/model/dataset';
import { buildImageCache } from '../../main/model/imageCache';
import { metricsBySource, predictCache, type EvalMetrics } from '../../main/model/evaluate';
import { initBackend } from '../../main/model/backend';
import { resolveModel } from '../../main/model/registry';

const asList = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

function samplesFrom(values: Record<string, unknown>, key: 'data' | 'val', split?: string): Sample[] {
  const args = asList(values[key]);
  if (key === 'data' && args.length === 0) throw new UsageError('--data <dir|manifest.csv> is required');
  return listSamplesFrom(args, split);
}

export const evalCommand: Command = {
  summary: 'evaluate a model on labelled images: accuracy, per-class metrics, AUC, confusion, Table 4 CIs, ECE',
  usage: 'cxr eval --data <dir|manifest.csv>... [--split val] [--model <dir>] [--json]',
  options: {
    data: { type: 'string', multiple: true },
    split: { type: 'string' },
    model: { type: 'string' },
  },
  async run(ctx, values) {
    const samples = samplesFrom(values, 'data', typeof values.split === 'string' ? values.split : undefined);
    const backend = await initBackend();
    const loaded = await resolveModel(typeof values.model === 'string' ? null : ctx.services(), values.model as string | undefined);
    const { card } = loaded;
    ctx.progress(`eval: ${samples.length} images with ${card.name} (${card.architecture}) on ${backend.name}`);
    const cache = await buildImageCache(samples, card.inputSize, (d, t) => {
      if (d === t || d % 1000 === 0) ctx.progress(`decoding ${d}/${t}`);
    });
    const probs = await predictCache(loaded.model, cache, card.channels);
    const { all, bySource } = metricsBySource(probs, cache);
    loaded.model.dispose();
    return {
      ...all,
      bySource,
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
    return lines.join('\n');
  },
};

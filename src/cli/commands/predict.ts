import fs from 'node:fs';
import path from 'node:path';
import { UsageError, type Command } from '../command';
import { initBackend } from '../../main/tfjs/backend';
import { resolveModel } from '../../main/models/activeModel';
import { Predictor, type ImagePrediction } from '../../main/inference/predictor';
import { expandInputs, readInputFile } from '../../main/inference/predictInput';
import { qualityFlags } from '../../main/confidence/quality';
import { renderHeatmapPng } from '../../main/explain/overlay';
import { LABELS } from '../../shared/labels';

interface FileResult {
  file: string;
  predicted: string | null;
  probs: ImagePrediction['probs'] | null;
  band: ImagePrediction['band'] | null;
  set: string[];
  quality: string[];
  oodScore: number | null;
  method: string | null;
  nSamples: number;
  durationMs: number;
  heatmap?: string;
  error?: string;
}

/** out.png for one image; out-1.png, out-2.png … for several. */
function heatmapPath(out: string, i: number, n: number): string {
  if (n === 1) return out;
  const ext = path.extname(out) || '.png';
  return `${out.slice(0, out.length - path.extname(out).length)}-${i + 1}${ext}`;
}

export const predict: Command = {
  summary: 'predict image files: calibrated probabilities, 95% band per class, conformal set, quality flags',
  usage: 'cxr predict <file|folder>... [--model <dir>] [--samples <n>] [--heatmap <out.png>] [--json]',
  options: {
    model: { type: 'string' },
    samples: { type: 'string' },
    heatmap: { type: 'string' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length === 0) throw new UsageError('give at least one image file or folder');
    const files = await expandInputs(positionals);
    if (files.length === 0) throw new UsageError('no JPEG, PNG or DICOM files found');
    const nSamples = values.samples === undefined ? undefined : Number(values.samples);
    if (nSamples !== undefined && !(Number.isInteger(nSamples) && nSamples >= 2)) throw new UsageError('--samples must be an integer of at least 2');
    const backend = await initBackend();
    const loaded = await resolveModel(typeof values.model === 'string' ? null : ctx.services(), values.model as string | undefined);
    const predictor = new Predictor(loaded.model, loaded.card, { nSamples });
    ctx.progress(`predict: ${files.length} file(s) with ${loaded.card.name} on ${backend.name}, band by ${predictor.method} (${predictor.nSamples} samples), T = ${predictor.temperature.toFixed(3)}`);
    const results: FileResult[] = [];
    const heatmapOut = typeof values.heatmap === 'string' ? path.resolve(values.heatmap) : null;
    for (const [i, file] of files.entries()) {
      const empty = { predicted: null, probs: null, band: null, set: [], oodScore: null, method: null, nSamples: 0, durationMs: 0 };
      try {
        const img = await readInputFile(file);
        if (!img.gray) {
          // Excluded by screening: reported with its reason, never predicted.
          const quality = qualityFlags(img.quality, { score: NaN, cal: null }, { calibrated: true, conformal: true }).filter((q) => q !== 'ood-unchecked');
          results.push({ file, ...empty, quality });
          continue;
        }
        const input = await predictor.input(img.gray);
        const [p] = await predictor.predict([input], [img.quality]);
        const r: FileResult = { file, ...p!, set: p!.set };
        if (heatmapOut) {
          const { heatmap } = await predictor.heatmap(input);
          const out = heatmapPath(heatmapOut, i, files.length);
          fs.mkdirSync(path.dirname(out), { recursive: true });
          fs.writeFileSync(out, await renderHeatmapPng(img.gray, heatmap));
          r.heatmap = out;
        }
        results.push(r);
      } catch (err) {
        results.push({ file, ...empty, quality: ['unreadable'], error: err instanceof Error ? err.message : String(err) });
      }
      ctx.progress(`${i + 1}/${files.length} ${path.basename(file)}`);
    }
    predictor.dispose();
    loaded.model.dispose();
    return {
      model: { id: loaded.card.id, dir: loaded.dir, name: loaded.card.name, temperature: predictor.temperature, calibrated: Boolean(predictor.confidence.calibration) },
      backend: backend.name,
      images: results,
    };
  },
  print(result) {
    const r = result as { images: FileResult[] };
    return r.images
      .map((im) => {
        if (!im.probs) return `${im.file}: not predicted (${[im.error, ...im.quality].filter(Boolean).join(', ')})`;
        const probs = LABELS.map((l) => `${l} ${im.probs![l].toFixed(3)} [${im.band![l].lo.toFixed(3)}, ${im.band![l].hi.toFixed(3)}]`).join('  ');
        return `${im.file}: ${im.predicted}  ${probs}  set {${im.set.join(', ')}}  quality ${im.quality.length ? im.quality.join(', ') : 'ok'}${im.heatmap ? `  heatmap ${im.heatmap}` : ''}`;
      })
      .join('\n');
  },
};

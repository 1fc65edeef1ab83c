import { LABELS, type Label } from '../../shared/labels';
import { MIN_IMAGES_PER_CLASS, SPLITS, type ClassCounts, type DatasetSummary, type SplitName } from '../../shared/training';
import { seededRandom } from '../training/seededRandom';
import type { LabelledImage } from './catalogLabels';

export type Splits = Record<SplitName, LabelledImage[]>;

/** Shares of images per split; the rest of the patients go to train. */
const SPLIT_FRACTIONS: Record<SplitName, number> = { train: 0.7, val: 0.15, test: 0.15 };

const emptyCounts = (): ClassCounts => ({ COVID19: 0, NORMAL: 0, PNEUMONIA: 0 });

function countClasses(images: readonly { label: Label }[]): ClassCounts {
  const c = emptyCounts();
  for (const i of images) c[i.label]++;
  return c;
}

/** A patient's stratum: its most frequent label (ties: LABELS order). */
function stratumOf(images: readonly LabelledImage[]): Label {
  const c = countClasses(images);
  return LABELS.reduce((best, l) => (c[l] > c[best] ? l : best), LABELS[0]);
}

/**
 * Splits images by patient into train/val/test: a patient's images never straddle two splits.
 * Patients are grouped by their majority label and each group is shuffled with the seed, then
 * dealt out one patient at a time to the split furthest below its share of the group's images,
 * so every class is represented in every split wherever it has enough patients. A group with
 * at least three patients always gives val and test one each (calibration and the comparison
 * need every class), the rest of its shortfall going to train.
 */
export function splitByPatient(images: readonly LabelledImage[], seed: number): Splits {
  const byPatient = new Map<string, LabelledImage[]>();
  for (const img of images) {
    const list = byPatient.get(img.patientKey);
    if (list) list.push(img);
    else byPatient.set(img.patientKey, [img]);
  }
  const strata = new Map<Label, LabelledImage[][]>();
  // Sorted keys: the split depends on the seed and the data only, not on catalog row order.
  for (const key of [...byPatient.keys()].sort()) {
    const imgs = byPatient.get(key)!;
    const s = stratumOf(imgs);
    (strata.get(s) ?? strata.set(s, []).get(s)!).push(imgs);
  }
  const out: Splits = { train: [], val: [], test: [] };
  for (const label of LABELS) {
    const patients = strata.get(label) ?? [];
    const rand = seededRandom(seed * 2654435761 + LABELS.indexOf(label));
    for (let i = patients.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [patients[i], patients[j]] = [patients[j]!, patients[i]!];
    }
    const total = patients.reduce((a, p) => a + p.length, 0);
    const have: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
    patients.forEach((p, idx) => {
      let split: SplitName;
      if (patients.length >= 3 && idx === 1) split = 'val';
      else if (patients.length >= 3 && idx === 2) split = 'test';
      else {
        split = SPLITS.reduce((best, s) =>
          SPLIT_FRACTIONS[s] * total - have[s] > SPLIT_FRACTIONS[best] * total - have[best] ? s : best,
        );
      }
      have[split] += p.length;
      out[split].push(...p);
    });
  }
  return out;
}

/** Counts, patients and plain-words warnings for the view and the run record. */
export function summarizeSplits(images: readonly LabelledImage[], splits: Splits, seed: number): DatasetSummary {
  const perClass = countClasses(images);
  const warnings: string[] = [];
  for (const l of LABELS) {
    if (perClass[l] < MIN_IMAGES_PER_CLASS) {
      warnings.push(`${l}: only ${perClass[l]} labelled image${perClass[l] === 1 ? '' : 's'} (at least ${MIN_IMAGES_PER_CLASS} recommended)`);
    }
  }
  let trainable = images.length > 0;
  const summary = {} as DatasetSummary['splits'];
  for (const s of SPLITS) {
    const c = countClasses(splits[s]);
    summary[s] = { images: splits[s].length, patients: new Set(splits[s].map((i) => i.patientKey)).size, perClass: c };
    for (const l of LABELS) {
      if (c[l] === 0 && perClass[l] > 0) warnings.push(`${l}: no image in the ${s} split (too few patients)`);
      if (c[l] === 0 && (s === 'train' || s === 'val')) trainable = false;
    }
  }
  return {
    total: images.length,
    patients: new Set(images.map((i) => i.patientKey)).size,
    bySource: {
      review: images.filter((i) => i.labelSource === 'review').length,
      reference: images.filter((i) => i.labelSource === 'reference').length,
      folder: images.filter((i) => i.labelSource === 'folder').length,
    },
    perClass,
    splits: summary,
    warnings,
    trainable,
    seed,
  };
}

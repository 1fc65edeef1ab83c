import { describe, expect, it } from 'vitest';
import { splitByPatient, summarizeSplits } from '../patientSplit';
import type { LabelledImage } from '../catalogLabels';
import { LABELS, type Label } from '../../../shared/labels';

function images(patients: number, perPatient: number, label: Label, prefix = label): LabelledImage[] {
  return Array.from({ length: patients * perPatient }, (_, i) => ({
    imageId: null,
    file: `/x/${prefix}-${i}.png`,
    label,
    patientKey: `${prefix}-p${Math.floor(i / perPatient)}`,
    labelSource: 'reference' as const,
  }));
}

describe('patient-level split', () => {
  const all = [...images(30, 3, 'COVID19'), ...images(40, 1, 'NORMAL'), ...images(25, 2, 'PNEUMONIA')];

  it('never puts one patient in two splits', () => {
    const s = splitByPatient(all, 3);
    const where = new Map<string, string>();
    for (const [name, list] of Object.entries(s)) {
      for (const img of list) {
        const prev = where.get(img.patientKey);
        expect(prev === undefined || prev === name, `${img.patientKey} in ${prev} and ${name}`).toBe(true);
        where.set(img.patientKey, name);
      }
    }
    expect(s.train.length + s.val.length + s.test.length).toBe(all.length);
  });

  it('stratifies: every class in every split, near 70/15/15 of its images', () => {
    const s = splitByPatient(all, 3);
    const sum = summarizeSplits(all, s, 3);
    for (const l of LABELS) {
      const total = sum.perClass[l];
      expect(sum.splits.val.perClass[l]).toBeGreaterThan(0);
      expect(sum.splits.test.perClass[l]).toBeGreaterThan(0);
      expect(Math.abs(sum.splits.train.perClass[l] / total - 0.7)).toBeLessThan(0.1);
    }
    expect(sum.trainable).toBe(true);
  });

  it('repeats under the same seed and changes under another, whatever the input order', () => {
    const a = splitByPatient(all, 11);
    const b = splitByPatient([...all].reverse(), 11);
    const c = splitByPatient(all, 12);
    const keys = (x: typeof a) => x.val.map((i) => i.file).sort().join();
    expect(keys(b)).toBe(keys(a));
    expect(keys(c)).not.toBe(keys(a));
  });

  it('warns under 20 images per class and refuses a class missing from train or val', () => {
    const few = [...images(30, 1, 'COVID19'), ...images(30, 1, 'NORMAL'), ...images(2, 1, 'PNEUMONIA')];
    const sum = summarizeSplits(few, splitByPatient(few, 1), 1);
    expect(sum.warnings.some((w) => w.startsWith('PNEUMONIA: only 2 labelled images'))).toBe(true);
    expect(sum.trainable).toBe(false);
  });
});

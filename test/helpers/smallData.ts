import path from 'node:path';
import { listSamples, type Sample } from '../../src/main/datasets/dataset';
import { SHARED_DATA } from './tempServices';

/** A few images per class from the shared cxr3 data, picked deterministically. */
export function fewPerClass(split: 'train' | 'val', perClass: number): Sample[] {
  const all = listSamples(path.join(SHARED_DATA, 'cxr3'), split);
  const out: Sample[] = [];
  for (const label of ['COVID19', 'NORMAL', 'PNEUMONIA'] as const) {
    const of = all.filter((s) => s.label === label);
    const step = Math.max(1, Math.floor(of.length / perClass));
    for (let i = 0; i < perClass && i * step < of.length; i++) out.push(of[i * step]!);
  }
  return out;
}

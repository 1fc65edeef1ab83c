import { describe, expect, it } from 'vitest';
import { epochOrder, groupShares } from '../sampler';
import { seededRandom } from '../seededRandom';

// 10 pediatric pneumonias for every adult one, as in cxr3 + nih.
const labels = [...Array(300).fill(2), ...Array(30).fill(2), ...Array(100).fill(1), ...Array(50).fill(0)];
const sources = [...Array(300).fill('cxr3'), ...Array(30).fill('nih'), ...Array(100).fill('adult'), ...Array(50).fill('cxr3')];

describe('balanced epochs', () => {
  it('gives every class a third and, at power 0, every source of a class the same share', () => {
    const order = epochOrder(labels, sources, { kind: 'balanced', epochSize: 3000, sourcePower: 0 }, seededRandom(1));
    expect(order.length).toBe(3000);
    const count = (pred: (i: number) => boolean) => Array.from(order).filter(pred).length;
    expect(count((i) => labels[i] === 0)).toBe(1000);
    expect(count((i) => labels[i] === 1)).toBe(1000);
    expect(count((i) => labels[i] === 2 && sources[i] === 'nih')).toBe(500);
    expect(count((i) => labels[i] === 2 && sources[i] === 'cxr3')).toBe(500);
    // Every one of the 30 adult pneumonias is visited before any is visited twice more than the rest.
    const visits = new Map<number, number>();
    for (const i of order) if (sources[i] === 'nih') visits.set(i, (visits.get(i) ?? 0) + 1);
    expect(visits.size).toBe(30);
    expect(Math.max(...visits.values()) - Math.min(...visits.values())).toBeLessThanOrEqual(1);
  });

  it('at power 1 shares a class by source size', () => {
    const g = groupShares(labels, sources, 1);
    expect(g.get('PNEUMONIA|cxr3')!.share).toBeCloseTo((1 / 3) * (300 / 330), 6);
    expect(g.get('PNEUMONIA|nih')!.share).toBeCloseTo((1 / 3) * (30 / 330), 6);
  });

  it('repeats exactly under the same seed, and shuffle visits each image once', () => {
    const a = epochOrder(labels, sources, { kind: 'balanced', epochSize: 600, sourcePower: 0 }, seededRandom(7));
    const b = epochOrder(labels, sources, { kind: 'balanced', epochSize: 600, sourcePower: 0 }, seededRandom(7));
    expect(Array.from(a)).toEqual(Array.from(b));
    const s = epochOrder(labels, sources, { kind: 'shuffle' }, seededRandom(7));
    expect(new Set(s).size).toBe(labels.length);
  });
});

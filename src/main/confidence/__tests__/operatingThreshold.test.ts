import { describe, expect, it } from 'vitest';
import { deriveOperatingPoint, deriveOperatingPointBySource, flagRates } from '../operatingThreshold';

describe('COVID-19 operating threshold', () => {
  it('is the highest threshold that reaches the target sensitivity on val', () => {
    // 20 COVID-19 scores 0.05..1.00, 20 others 0.0..0.475.
    const pos = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);
    const neg = Array.from({ length: 20 }, (_, i) => i / 40);
    const p = [...pos, ...neg];
    const y = [...pos.map(() => true), ...neg.map(() => false)];
    const op = deriveOperatingPoint(p, y, 0.95);
    // 19 of 20 positives must be at or above it: the 19th highest positive, 0.10.
    expect(op.threshold).toBeCloseTo(0.1, 10);
    expect(op.valSensitivity).toBeGreaterThanOrEqual(0.95);
    expect(flagRates(p, y, op.threshold + 1e-6).sensitivity).toBeLessThan(0.95);
    expect(op.fallback).toBe(false);
    const strict = deriveOperatingPoint(p, y, 0.5);
    expect(strict.threshold).toBeGreaterThan(op.threshold);
  });

  it('falls back, and says so, when val has no COVID-19 image', () => {
    const op = deriveOperatingPoint([0.1, 0.9], [false, false], 0.95);
    expect(op).toMatchObject({ fallback: true, valPositives: 0, threshold: 0.5 });
  });

  it('by source: every source with enough COVID-19 images reaches the target, not just the pool', () => {
    // Source a: 100 easy positives (0.5..1.0); source b: 20 hard ones (0.05..0.24); 50 negatives each.
    const p: number[] = [];
    const y: boolean[] = [];
    const src: string[] = [];
    const add = (s: string, v: number, pos: boolean) => (p.push(v), y.push(pos), src.push(s));
    for (let i = 0; i < 100; i++) add('a', 0.5 + i / 200, true);
    for (let i = 0; i < 20; i++) add('b', 0.05 + i / 100, true);
    for (let i = 0; i < 50; i++) add('a', i / 200, false);
    for (let i = 0; i < 50; i++) add('b', i / 500, false);
    const pooled = deriveOperatingPoint(p, y, 0.95);
    const op = deriveOperatingPointBySource(p, y, src, 0.95);
    expect(flagRates(p.slice(100, 120), y.slice(100, 120), pooled.threshold).sensitivity).toBeLessThan(0.95);
    expect(op.bySource!.b!.sensitivity).toBeGreaterThanOrEqual(0.95);
    expect(op.bySource!.a!.sensitivity).toBeGreaterThanOrEqual(0.95);
    expect(op.threshold).toBeLessThan(pooled.threshold);
    expect(op.bySource!.a).toMatchObject({ positives: 100, negatives: 50 });
  });
});

import { describe, expect, it } from 'vitest';
import { deriveOperatingPoint, flagRates } from '../operatingThreshold';

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
});

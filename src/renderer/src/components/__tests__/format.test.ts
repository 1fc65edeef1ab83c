import { describe, expect, it } from 'vitest';
import { coveragePct, pct } from '../format';

describe('conformal coverage text', () => {
  it('shows the calibrated coverage as a whole percentage where it is one (0.9 → 90%), else to a tenth', () => {
    expect(coveragePct(0.9)).toBe('90%');
    expect(coveragePct(0.95)).toBe('95%');
    expect(coveragePct(0.975)).toBe('97.5%');
  });

  it('keeps probabilities to a tenth of a percent, with a dash for a missing figure', () => {
    expect(pct(0.8523)).toBe('85.2%');
    expect(pct(null)).toBe('—');
  });
});

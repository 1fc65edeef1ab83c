import { describe, expect, it } from 'vitest';
import { augmentOverrides } from '../commands/train';
import { chestRecipe, paperRecipe } from '../../main/training/recipe';

describe('cxr train --augment', () => {
  it("sets the chest recipe's frame and annotation probabilities and leaves the rest", () => {
    const base = chestRecipe('cxrResNet').augment;
    const out = augmentOverrides(base, 'borderMask=0.3,letterbox=0.15');
    expect(out).toEqual({ ...base, borderMask: 0.3, letterbox: 0.15 });
    expect(base).toEqual(chestRecipe('cxrResNet').augment);
  });

  it('refuses unknown keys, values outside [0, 1], a missing value and the paper recipe', () => {
    const base = chestRecipe('cxrResNet').augment;
    expect(() => augmentOverrides(base, 'rotateDeg=3')).toThrow(/rotateDeg is not one of borderMask, letterbox, text/);
    expect(() => augmentOverrides(base, 'letterbox=1.5')).toThrow(/letterbox must be a probability in \[0, 1\], got 1.5/);
    expect(() => augmentOverrides(base, 'text=')).toThrow(/text must be a probability/);
    expect(() => augmentOverrides(base, 'text')).toThrow(/text must be a probability/);
    expect(() => augmentOverrides(paperRecipe('zhongSlim').augment, 'text=0.1')).toThrow(/chest recipe only/);
  });
});

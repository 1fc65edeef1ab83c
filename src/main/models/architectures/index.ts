import type * as tf from '@tensorflow/tfjs';
import { zhong2020 } from './zhong2020';
import { zhongSlim } from './zhongSlim';
import { cxrResNet } from './cxrResNet';

/** Architectures by the name stored in a model card. */
export const ARCHITECTURES = {
  zhong2020: { build: () => zhong2020(80), inputSize: 80, channels: 3 },
  zhongSlim: { build: () => zhongSlim(80, 0.5), inputSize: 80, channels: 3 },
  cxrResNet: { build: () => cxrResNet(128), inputSize: 128, channels: 1 },
} as const satisfies Record<string, { build: () => tf.LayersModel; inputSize: number; channels: number }>;

export type ArchitectureName = keyof typeof ARCHITECTURES;
export const DEFAULT_ARCHITECTURE: ArchitectureName = 'cxrResNet';

export function isArchitectureName(name: string): name is ArchitectureName {
  return Object.hasOwn(ARCHITECTURES, name);
}

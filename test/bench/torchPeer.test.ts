import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, type ArchitectureName } from '../../src/main/models/architectures';
import { findTorchPython, runTorchPeer } from '../../bench/torchPeer';

/**
 * The PyTorch peer of bench:model builds the same models: its parameter count (parameters plus
 * batch norm's running statistics) equals tfjs's countParams() for every architecture, so the
 * ratios bench:model prints compare like with like.
 */
const torch = findTorchPython();
if (torch.python === null) console.warn(`PyTorch peer parameter counts skipped: ${torch.reason}`);

describe.skipIf(!torch.python)('the PyTorch peer (bench/torchPeer.py)', () => {
  it('builds every architecture with the parameter count of the tfjs build', async () => {
    await tf.setBackend('cpu');
    const names = Object.keys(ARCHITECTURES) as ArchitectureName[];
    const counts = runTorchPeer<Record<string, number>>(torch.python!, ['--counts', '--archs', names.join(',')], 120_000);
    expect(Object.keys(counts).sort()).toEqual([...names].sort());
    for (const name of names) {
      const model = ARCHITECTURES[name].build();
      expect({ name, params: counts[name] }).toEqual({ name, params: model.countParams() });
      model.dispose();
    }
  });

  it('refuses an architecture it does not build, naming it', () => {
    expect(() => runTorchPeer(torch.python!, ['--counts', '--archs', 'noSuchNet'], 60_000)).toThrow(/torchPeer\.py --counts --archs noSuchNet failed: exit 1/);
  });
});

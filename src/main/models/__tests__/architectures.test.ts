import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { zhong2020 } from '../architectures/zhong2020';
import { ARCHITECTURES } from '../architectures';
import { ModelGraph } from '../forwardPass';

describe('architectures', () => {
  it('zhong2020 has the published 63,148,835 parameters and layer sequence', async () => {
    await tf.setBackend('cpu');
    const m = zhong2020();
    expect(m.countParams()).toBe(63_148_835);
    expect(m.inputs[0]!.shape).toEqual([null, 80, 80, 3]);
    const seq = m.layers.map((l) => `${l.getClassName()}:${l.name}`);
    expect(seq).toEqual([
      'InputLayer:image',
      'Conv2D:block1_conv1',
      'Conv2D:block1_conv2',
      'MaxPooling2D:block1_pool',
      'Conv2D:block2_conv1',
      'Conv2D:block2_conv2',
      'MaxPooling2D:block2_pool',
      'Conv2D:block3_conv1',
      'Conv2D:block3_conv2',
      'Conv2D:block3_conv3',
      'MaxPooling2D:block3_pool',
      'Conv2D:block4_conv1',
      'Conv2D:block4_conv2',
      'Conv2D:block4_conv3',
      'MaxPooling2D:block4_pool',
      'GlobalMaxPooling2D:gmp1',
      'GlobalMaxPooling2D:gmp2',
      'GlobalMaxPooling2D:gmp3',
      'GlobalMaxPooling2D:gmp4',
      'Concatenate:multiscale_gmp',
      'Flatten:block4_flatten',
      'Concatenate:features',
      'Dense:fc1',
      'Dropout:fc1_dropout',
      'Dense:fc2',
      'Dropout:fc2_dropout',
      'Dense:probs',
    ]);
    // Every conv is 3x3, same padding, ELU; the head widths are the paper's.
    for (const l of m.layers.filter((x) => x.getClassName() === 'Conv2D')) {
      const c = l.getConfig();
      expect([c.kernelSize, c.padding, c.activation]).toEqual([[3, 3], 'same', 'elu']);
    }
    expect(m.getLayer('features').outputShape).toEqual([null, 352 + 12_800]);
    expect(m.getLayer('fc1').getConfig().units).toBe(4096);
    expect(m.getLayer('fc2').getConfig().units).toBe(2048);
    expect([m.getLayer('fc1_dropout').getConfig().rate, m.getLayer('fc2_dropout').getConfig().rate]).toEqual([
      0.5, 0.4,
    ]);
    expect(m.getLayer('probs').getConfig().activation).toBe('softmax');
    m.dispose();
  });

  for (const name of ['zhongSlim', 'cxrResNet'] as const)
    it(`${name} fits the 20 MB weight budget and outputs 3 probabilities`, async () => {
      await tf.setBackend('cpu');
      const spec = ARCHITECTURES[name];
      const m = spec.build();
      expect(m.countParams() * 4).toBeLessThan(20 * 1024 * 1024);
      const y = m.predict(tf.zeros([2, spec.inputSize, spec.inputSize, spec.channels])) as tf.Tensor;
      expect(y.shape).toEqual([2, 3]);
      const sums = (await y.sum(1).data()) as Float32Array;
      for (const s of sums) expect(s).toBeCloseTo(1, 5);
      m.dispose();
      y.dispose();
    });

  it('cxrResNet: Grad-CAM and the bands see each residual stage output (the sum after its shortcut), not a branch', async () => {
    await tf.setBackend('cpu');
    const m = ARCHITECTURES.cxrResNet.build();
    const g = new ModelGraph(m);
    expect(g.convBlocks.map((b) => b.ref.shape)).toEqual([
      [null, 64, 64, 32],
      [null, 32, 32, 32],
      [null, 16, 16, 64],
      [null, 8, 8, 128],
      [null, 4, 4, 256],
    ]);
    // Each stage's map is the ReLU after its Add, so the projection branch is not a block of its own.
    expect(g.lastConv?.id).toBe((m.getLayer('stage4_block1_out').output as tf.SymbolicTensor).id);
    expect(g.hasDropout).toBe(true);
    m.dispose();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { relErr } from '../../../../test/helpers/relErr';
import { registerWasmTrainingKernels } from '../wasmKernels';
import { conv2dMaxPool, convThenPool, type ConvMaxPoolArgs } from '../convMaxPool';
import { ARCHITECTURES } from '../../models/architectures';
import { foldBatchNorm } from '../../models/foldBatchNorm';
import { ModelGraph } from '../../models/forwardPass';

type Shape4 = [number, number, number, number];
type Case = Omit<ConvMaxPoolArgs, 'x' | 'filter' | 'bias'> & { name: string; x: Shape4; w: Shape4; bias: boolean };

/** The op's result on a backend, from the same seeded inputs. */
async function on(backend: string, c: Case, op: (a: ConvMaxPoolArgs) => tf.Tensor4D): Promise<{ data: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const y = tf.tidy(() =>
    op({
      ...c,
      x: tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D,
      filter: tf.randomNormal(c.w, 0, 1, 'float32', 2) as tf.Tensor4D,
      bias: c.bias ? tf.randomNormal([c.w[3]!], 0, 1, 'float32', 3) : undefined,
    }),
  );
  const out = { data: (await y.data()) as Float32Array, shape: y.shape };
  y.dispose();
  return out;
}

describe('a conv and its 2×2 max pool as one op (convMaxPool.ts)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const cases: Case[] = [
    { name: "cxrResNet's gray stem (the phases' Winograd, pooled in its output transform)", x: [2, 32, 32, 1], w: [5, 5, 1, 32], strides: [2, 2], pad: 'same', activation: 'relu', poolPad: 'same', bias: true },
    { name: "a zhong block's last conv: 3×3 stride 1, ELU", x: [2, 12, 10, 8], w: [3, 3, 8, 16], strides: [1, 1], pad: 'same', activation: 'elu', poolPad: 'valid', bias: true },
    { name: 'an odd conv output, valid pool (the kernel runs the conv, then the pool)', x: [2, 9, 11, 4], w: [3, 3, 4, 8], strides: [1, 1], pad: 'same', activation: 'linear', poolPad: 'valid', bias: false },
    { name: 'an odd conv output, same pool (the last window is cut)', x: [1, 7, 7, 4], w: [3, 3, 4, 8], strides: [1, 1], pad: 'same', activation: 'relu', poolPad: 'same', bias: true },
  ];
  for (const c of cases) {
    it(`gives the two stock ops' values on wasm within 1e-5 of cpu (${c.name})`, async () => {
      const want = await on('cpu', c, convThenPool);
      const got = await on('wasm', c, conv2dMaxPool);
      expect(got.shape).toEqual(want.shape);
      expect(relErr(got.data, want.data)).toBeLessThan(1e-5);
    });
  }

  it('is the two stock ops where the backend has no kernel for it (cpu)', async () => {
    const c = cases[0]!;
    const a = await on('cpu', c, conv2dMaxPool);
    const b = await on('cpu', c, convThenPool);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  for (const arch of ['cxrResNet', 'zhongSlim'] as const) {
    it(`runs ${arch}'s conv → max pool pairs fused in ModelGraph (fuse), the same probabilities within 1e-5, without the convs' own outputs`, async () => {
      await tf.setBackend('wasm');
      const spec = ARCHITECTURES[arch];
      const built = spec.build();
      const { model } = foldBatchNorm(built);
      const graph = new ModelGraph(model);
      const x = tf.randomUniform([3, spec.inputSize, spec.inputSize, spec.channels], 0, 1, 'float32', 7);
      const [plain, fused] = [false, true].map((fuse) => {
        let ids = new Set<number>();
        const probs = tf.tidy(() => {
          const values = graph.forward(x, fuse);
          ids = new Set(values.keys());
          return graph.output(values).dataSync() as Float32Array;
        });
        return { probs, ids };
      });
      // The maps a pool alone reads, made by a conv: there without fusing, left out with; maps
      // something else reads too (zhongSlim's head pools its last block's map globally) stay.
      const readers = (id: number) => graph.steps.filter((s) => s.inputs.some((i) => i.id === id)).length;
      const maps = graph.steps
        .filter((s) => s.layer.getClassName() === 'MaxPooling2D')
        .map((s) => s.inputs[0]!.id)
        .map((id) => ({ id, alone: readers(id) === 1 && graph.steps.some((s) => s.outputs[0]!.id === id && s.layer.getClassName() === 'Conv2D') }));
      expect(maps.filter((m) => m.alone).length).toBeGreaterThan(0);
      for (const { id, alone } of maps) {
        expect(plain!.ids.has(id)).toBe(true);
        expect(fused!.ids.has(id)).toBe(!alone);
      }
      expect(fused!.probs.length).toBe(9);
      expect(relErr(fused!.probs, plain!.probs)).toBeLessThan(1e-5);
      x.dispose();
      if (model !== built) model.dispose();
      built.dispose();
    });
  }
});

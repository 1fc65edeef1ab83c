/**
 * batchNormTraining.ts's forward and backward passes on wasm in our SIMD kernels
 * (simd/batchNormTraining.c): three passes over the map forward and two backward, against the tfjs
 * route's ten-odd elementwise and pooling passes (bench/profileStep.ts: Multiply, Sub, Add, AvgPool
 * and Mean, mostly of the stem's 16 MB map, were about 60 ms of a 580 ms cxrResNet step).
 * Null where the backend is not wasm, the kernels are off or unavailable (simdModule.ts), or the
 * channels are not a multiple of 4: the caller then takes the tfjs route.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels, type SimdExports } from './simdModule';

export interface SimdBatchNorm {
  forward(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D; invStd: tf.Tensor1D };
  backward(dy: tf.Tensor4D, x: tf.Tensor4D, mean: tf.Tensor1D, invStd: tf.Tensor1D, gamma: tf.Tensor1D): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
}

export function simdBatchNorm(x: tf.Tensor4D): SimdBatchNorm | null {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || x.shape[3] % 4 !== 0 || x.size === 0) return null;
  const backend = tf.backend() as BackendWasm;
  const simd = simdKernels(backend);
  return simd ? bind(backend, simd) : null;
}

function bind(backend: BackendWasm, simd: SimdExports): SimdBatchNorm {
  const engine = tf.engine();
  const tensor = <T extends tf.Tensor>(info: tf.TensorInfo): T => engine.makeTensorFromTensorInfo(info) as T;
  // 2·C float64 channel sums, then 4·C float32 chunk sums and factors (batchNormTraining.c).
  const scratch = (c: number) => backend.makeOutput([8 * c], 'float32');
  const fail = (what: string): never => {
    throw new Error(`wasm batch norm ${what}: the SIMD kernel refused its shape`);
  };
  return {
    forward(x, gamma, beta, epsilon) {
      const c = x.shape[3];
      const y = backend.makeOutput(x.shape, 'float32');
      const [mean, variance, invStd] = [0, 1, 2].map(() => backend.makeOutput([c], 'float32'));
      const s = scratch(c);
      // Offsets after the last allocation: growing the heap never moves a tensor.
      const at = (t: tf.TensorInfo) => heapOffset(backend, t);
      const status = simd.batch_norm_train_forward(at(x), at(gamma), at(beta), at(y), at(mean!), at(variance!), at(invStd!), at(s), at(s) + 16 * c, x.size / c, c, epsilon);
      backend.disposeData(s.dataId);
      if (status !== 0) fail('forward');
      return { y: tensor(y), mean: tensor(mean!), variance: tensor(variance!), invStd: tensor(invStd!) };
    },
    backward(dy, x, mean, invStd, gamma) {
      const c = x.shape[3];
      const dx = backend.makeOutput(x.shape, 'float32');
      const dGamma = backend.makeOutput([c], 'float32');
      const dBeta = backend.makeOutput([c], 'float32');
      const s = scratch(c);
      const at = (t: tf.TensorInfo) => heapOffset(backend, t);
      const status = simd.batch_norm_train_backward(at(dy), at(x), at(mean), at(invStd), at(gamma), at(dx), at(dGamma), at(dBeta), at(s), at(s) + 16 * c, x.size / c, c);
      backend.disposeData(s.dataId);
      if (status !== 0) fail('backward');
      return [tensor(dx), tensor(dGamma), tensor(dBeta)];
    },
  };
}

import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../tfjs/backend';
import { ARCHITECTURES } from '../models/architectures';
import { seededRandom } from './seededRandom';
import { batchLoss, type PeerReply, type PeerRequest } from './gradientPeer';

/** The gradient peer's thread (gradientPeer.ts): a wasm backend and a replica of the model. */
let model: tf.LayersModel | null = null;
let vars: tf.Variable[] = [];
let crop = 0;
let channels = 0;

const post = (m: PeerReply, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(m, transfer);

parentPort!.on('message', (m: PeerRequest) => {
  void (async () => {
    try {
      if (m.type === 'init') {
        process.env.CXR_BACKEND = 'wasm';
        await initBackend();
        const spec = ARCHITECTURES[m.arch];
        model = spec.build();
        vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        crop = spec.inputSize;
        channels = spec.channels;
        post({ type: 'ready' });
        return;
      }
      if (!model) throw new Error('step before init');
      if (m.weights.length !== vars.length) throw new Error(`${m.weights.length} weight arrays for ${vars.length} variables`);
      vars.forEach((v, i) => {
        const t = tf.tensor(m.weights[i]!, v.shape, 'float32');
        v.assign(t);
        t.dispose();
      });
      // Dropout draws its seeds from Math.random: seeded per step, so a run repeats.
      Math.random = seededRandom(m.seed);
      let accuracy = 0;
      const { value, grads } = tf.variableGrads(() => {
        const r = batchLoss(model!, m.batch, crop, channels, m.labelSmoothing, m.training);
        accuracy = r.accuracy.dataSync()[0]!;
        r.accuracy.dispose();
        return r.loss;
      }, vars);
      const loss = (await value.data())[0]!;
      const out = await Promise.all(vars.map(async (v) => (await grads[v.name]!.data()) as Float32Array));
      tf.dispose([value, ...Object.values(grads)]);
      post({ type: 'step', id: m.id, grads: out, loss, accuracy }, out.map((a) => a.buffer as ArrayBuffer));
    } catch (err) {
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});

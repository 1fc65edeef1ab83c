/**
 * One conv kernel on wasm by two routes, alternating in one process (the route is read from
 * the environment per call), so both see the same background load: median wall and CPU ms of 5
 * calls each, and the largest difference between the two results relative to the largest value.
 * Run: CASES='[{"x":[32,8,8,128],"w":[3,3,128,256],"s":2,"env":"CXR_WASM_INPUT_GRAD","val":"spread"}]' npx tsx bench/kernelAB.ts
 * A case: input shape x, filter shape w, stride s ('same' padding); env = CXR_WASM_FILTER_GRAD times
 * Conv2DBackpropFilter, CXR_WASM_INPUT_GRAD Conv2DBackpropInput, CXR_WASM_CONV the forward Conv2D
 * ("xnnpack", "direct" or unset: wasmConv.ts); val is the "before" value, newVal the
 * "after" one (unset when absent). Prints one JSON line per case.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';

type Shape4 = [number, number, number, number];
interface Case {
  x: Shape4;
  w: Shape4;
  s: number;
  env: 'CXR_WASM_FILTER_GRAD' | 'CXR_WASM_INPUT_GRAD' | 'CXR_WASM_CONV';
  val: string;
  newVal?: string;
}

process.env.CXR_BACKEND = 'wasm';
await initBackend();
if (!process.env.CASES) throw new Error('bench/kernelAB.ts: set CASES to a JSON list of cases (see the top of the file)');
const cases = JSON.parse(process.env.CASES) as Case[];
const median = (v: number[]): number => Math.round([...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]! * 10) / 10;
for (const c of cases) {
  const x = tf.randomUniform(c.x) as tf.Tensor4D;
  const w = tf.randomUniform(c.w) as tf.Tensor4D;
  const dy = tf.randomUniform(tf.conv2d(x, w, c.s, 'same').shape);
  const attrs = { strides: c.s, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  const run = (value: string | undefined): { wall: number; cpu: number; d: Float32Array } => {
    if (value === undefined) delete process.env[c.env];
    else process.env[c.env] = value;
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    const g = (
      c.env === 'CXR_WASM_FILTER_GRAD'
        ? tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.w })
        : c.env === 'CXR_WASM_INPUT_GRAD'
          ? tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x })
          : tf.engine().runKernel('Conv2D', { x, filter: w }, attrs)
    ) as tf.Tensor;
    const d = g.dataSync() as Float32Array;
    const wall = performance.now() - t;
    const cu = process.cpuUsage(cpu0);
    g.dispose();
    return { wall, cpu: (cu.user + cu.system) / 1000, d };
  };
  const before = { wall: [] as number[], cpu: [] as number[] };
  const after = { wall: [] as number[], cpu: [] as number[] };
  const a = run(c.val).d; // also the warm-up
  const b = run(c.newVal).d;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  for (let i = 0; i < 5; i++) {
    for (const [side, value] of [
      [before, c.val],
      [after, c.newVal],
    ] as const) {
      const r = run(value);
      side.wall.push(r.wall);
      side.cpu.push(r.cpu);
    }
  }
  console.log(JSON.stringify({ ...c, relDiff: diff / scale, before: { wallMs: median(before.wall), cpuMs: median(before.cpu) }, after: { wallMs: median(after.wall), cpuMs: median(after.cpu) } }));
  tf.dispose([x, w, dy]);
}

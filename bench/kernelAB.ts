import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
process.env.CXR_BACKEND = 'wasm';
await initBackend();
const cases = JSON.parse(process.env.CASES!) as { x: number[]; w: number[]; s: number; env: string; val: string; newVal?: string }[];
for (const c of cases) {
  const x = tf.randomUniform(c.x) as tf.Tensor4D;
  const yShape = tf.conv2d(x, tf.zeros(c.w) as tf.Tensor4D, c.s, 'same').shape;
  const dy = tf.randomUniform(yShape) as tf.Tensor4D;
  const w = tf.randomUniform(c.w) as tf.Tensor4D;
  const run = (v: string | undefined) => {
    if (v === undefined) { if (c.newVal) process.env[c.env] = c.newVal; else delete process.env[c.env]; } else process.env[c.env] = v;
    const cpu0 = process.cpuUsage(); const t = performance.now();
    const attrs = { strides: c.s, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, dilations: 1 };
    const g = (c.env === 'CXR_WASM_FILTER_GRAD'
      ? tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.w })
      : tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x })) as tf.Tensor;
    g.dataSync();
    const wall = performance.now() - t; const cu = process.cpuUsage(cpu0);
    const d = g.dataSync().slice(); g.dispose();
    return { wall, cpu: (cu.user + cu.system) / 1000, d };
  };
  const res: Record<string, { wall: number[]; cpu: number[] }> = { old: { wall: [], cpu: [] }, new: { wall: [], cpu: [] } };
  run(c.val); run(undefined);
  let a = run(c.val).d, b = run(undefined).d; let md = 0, mm = 0;
  for (let i = 0; i < a.length; i++) { md = Math.max(md, Math.abs(a[i]! - b[i]!)); mm = Math.max(mm, Math.abs(a[i]!)); }
  for (let i = 0; i < 5; i++) for (const [k, v] of [['old', c.val], ['new', undefined]] as const) { const r = run(v); res[k]!.wall.push(r.wall); res[k]!.cpu.push(r.cpu); }
  const med = (v: number[]) => Math.round(v.sort((p, q) => p - q)[2]! * 10) / 10;
  console.log(JSON.stringify({ ...c, relDiff: md / mm, old: { wall: med(res.old!.wall), cpu: med(res.old!.cpu) }, new: { wall: med(res.new!.wall), cpu: med(res.new!.cpu) } }));
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { folderIO, loadLayersModel, MODEL_LIMITS, weightBytes } from '../modelFiles';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-model-files-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
let good: string;

/** A copy of the good folder with model.json edited, and optional extra setup. */
function variant(name: string, edit: (json: tf.io.ModelJSON, dir: string) => void): string {
  const dir = path.join(base, name);
  fs.cpSync(good, dir, { recursive: true });
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  edit(json, dir);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

beforeAll(async () => {
  const input = tf.input({ shape: [4] });
  const out = tf.layers.dense({ units: 2, kernelInitializer: 'ones' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  good = path.join(base, 'good');
  await model.save(folderIO(good));
  model.dispose();
});

describe('model folders: weight files are checked before loading', () => {
  it('loads a well-formed folder', async () => {
    const model = await loadLayersModel(good);
    expect(model.outputs[0]!.shape).toEqual([null, 2]);
    expect(weightBytes(good)).toBe(4 * (4 * 2 + 2));
    model.dispose();
  });

  it.each([
    ['a Windows drive path', 'D:\\x.bin'],
    ['a UNC share', '\\\\host\\share\\x.bin'],
    ['an absolute path', '/etc/passwd'],
    ['a parent path', '../good/weights.bin'],
    ['a sub-folder path', 'sub/weights.bin'],
    ['a dot name', '.weights.bin'],
  ])('refuses %s in weightsManifest', async (_what, p) => {
    const dir = variant(`path-${Buffer.from(p).toString('hex')}`, (json) => {
      json.weightsManifest[0]!.paths = [p];
    });
    await expect(loadLayersModel(dir)).rejects.toThrow(/is not a plain file name in the folder/);
    expect(() => weightBytes(dir)).toThrow(/not a plain file name/);
  });

  it('refuses a weights.bin that is a symbolic link, even to a file of the right size', async () => {
    const outside = path.join(base, 'outside.bin');
    fs.copyFileSync(path.join(good, 'weights.bin'), outside);
    const dir = variant('symlink', (_json, d) => {
      fs.rmSync(path.join(d, 'weights.bin'));
      fs.symlinkSync(outside, path.join(d, 'weights.bin'));
    });
    await expect(loadLayersModel(dir)).rejects.toThrow(/weights file weights\.bin is a symbolic link/);
  });

  it('refuses a weight shape over the element limit, a bad shape, and a size that does not match the shapes', async () => {
    const huge = variant('huge', (json) => {
      json.weightsManifest[0]!.weights[0]!.shape = [MODEL_LIMITS.tensorElements, 2];
    });
    await expect(loadLayersModel(huge)).rejects.toThrow(/elements, over the limit/);
    const negative = variant('negative', (json) => {
      json.weightsManifest[0]!.weights[0]!.shape = [-4, 2];
    });
    await expect(loadLayersModel(negative)).rejects.toThrow(/invalid shape/);
    const short = variant('short', (_json, d) => fs.truncateSync(path.join(d, 'weights.bin'), 8));
    await expect(loadLayersModel(short)).rejects.toThrow(/hold 8 bytes but the weight shapes need 40/);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * A tfjs IO handler over a folder (model.json + weights.bin), the format of tfjs's own
 * `file://` handler, which only tfjs-node ships: written here so any backend can save and load.
 */
export class ModelFilesError extends Error {
  override name = 'ModelFilesError';
  constructor(dir: string, reason: string) {
    super(`model folder ${dir}: ${reason}`);
  }
}

export const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Limits checked before any weight byte is read: a hostile folder cannot make us allocate gigabytes. */
export const MODEL_LIMITS = {
  modelJsonBytes: 32 * 1024 * 1024,
  weightBytes: 512 * 1024 * 1024,
  tensorElements: 2 ** 27,
  rank: 8,
} as const;

/** A weight file name: plain, relative, in the folder itself (no separators, drive letters, UNC, dots first). */
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The bytes one weight takes in the file, after checking its shape against the limits. */
function specBytes(dir: string, w: tf.io.WeightsManifestEntry): number {
  const shape = (w as { shape?: unknown }).shape;
  if (!Array.isArray(shape) || shape.length > MODEL_LIMITS.rank || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ModelFilesError(dir, `weight ${String(w.name)} has an invalid shape ${JSON.stringify(shape)}`);
  }
  const elements = (shape as number[]).reduce((a, d) => a * d, 1);
  if (elements > MODEL_LIMITS.tensorElements) throw new ModelFilesError(dir, `weight ${String(w.name)} has ${elements} elements, over the limit of ${MODEL_LIMITS.tensorElements}`);
  const dtype = w.quantization?.dtype ?? w.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (!bytes) throw new ModelFilesError(dir, `weight ${String(w.name)} has an unsupported dtype ${String(dtype)}`);
  return elements * bytes;
}

/**
 * The weight files model.json names, checked before loading: each a plain file name, its real
 * path (symlinks followed) a regular file inside the real folder, the total within the limit and
 * equal to what the weight shapes need.
 */
export function checkedWeightFiles(dir: string, json: tf.io.ModelJSON): string[] {
  const root = fs.realpathSync(dir);
  const files: string[] = [];
  let total = 0;
  let expected = 0;
  if (json.weightsManifest !== undefined && !Array.isArray(json.weightsManifest)) throw new ModelFilesError(dir, 'weightsManifest is not a list');
  for (const group of json.weightsManifest ?? []) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new ModelFilesError(dir, 'a weightsManifest group has no paths or weights list');
    for (const w of group.weights) expected += specBytes(dir, w);
    for (const p of group.paths) {
      if (typeof p !== 'string' || !PLAIN_NAME.test(p)) throw new ModelFilesError(dir, `weights path ${JSON.stringify(p)} is not a plain file name in the folder`);
      const abs = path.join(dir, p);
      let real: string;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
        real = fs.realpathSync(abs);
      } catch {
        throw new ModelFilesError(dir, `weights file ${p} is missing`);
      }
      if (st.isSymbolicLink()) throw new ModelFilesError(dir, `weights file ${p} is a symbolic link`);
      const rel = path.relative(root, real);
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new ModelFilesError(dir, `weights file ${p} lies outside the folder`);
      if (!st.isFile()) throw new ModelFilesError(dir, `weights file ${p} is not a regular file`);
      total += st.size;
      if (total > MODEL_LIMITS.weightBytes) throw new ModelFilesError(dir, `weights files exceed ${MODEL_LIMITS.weightBytes} bytes`);
      files.push(real);
    }
  }
  if (total !== expected) throw new ModelFilesError(dir, `weights files hold ${total} bytes but the weight shapes need ${expected}`);
  return files;
}

/** model.json, read within its size limit. */
function readModelJson(dir: string): tf.io.ModelJSON {
  const file = path.join(dir, MODEL_JSON);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new ModelFilesError(dir, `no ${MODEL_JSON}`);
  }
  if (!st.isFile()) throw new ModelFilesError(dir, `${MODEL_JSON} is not a regular file`);
  if (st.size > MODEL_LIMITS.modelJsonBytes) throw new ModelFilesError(dir, `${MODEL_JSON} is ${st.size} bytes, over the limit of ${MODEL_LIMITS.modelJsonBytes}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new ModelFilesError(dir, `${MODEL_JSON} is not JSON: ${(err as Error).message}`);
  }
}

export function folderIO(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new ModelFilesError(dir, 'binary topologies are not supported');
      fs.mkdirSync(dir, { recursive: true });
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      const json = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      fs.writeFileSync(path.join(dir, WEIGHTS_BIN), Buffer.from(weights));
      fs.writeFileSync(path.join(dir, MODEL_JSON), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = readModelJson(dir);
      const files = checkedWeightFiles(dir, json);
      const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
      const buffers = files.map((f) => {
        const b = fs.readFileSync(f);
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      });
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
      };
    },
  };
}

/** Loads a LayersModel from a model folder. */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(folderIO(dir));
}

/** Total size of the weight files, for the ≤ 20 MB budget. */
export function weightBytes(dir: string): number {
  return checkedWeightFiles(dir, readModelJson(dir)).reduce((a, f) => a + fs.statSync(f).size, 0);
}

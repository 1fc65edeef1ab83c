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
      const file = path.join(dir, MODEL_JSON);
      if (!fs.existsSync(file)) throw new ModelFilesError(dir, `no ${MODEL_JSON}`);
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const abs = path.resolve(dir, p);
          if (path.relative(dir, abs).startsWith('..')) throw new ModelFilesError(dir, `weights path ${p} leaves the folder`);
          const b = fs.readFileSync(abs);
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
        }
      }
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
  const json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
  return (json.weightsManifest ?? []).flatMap((g) => g.paths).reduce((a, p) => a + fs.statSync(path.join(dir, p)).size, 0);
}

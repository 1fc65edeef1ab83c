import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { camPath, readCachedHeatmap, writeCachedHeatmap } from '../heatmapCache';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-heatmap-cache-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
const heatmap = { data: new Float32Array([0, 0.5, 1, 0.25]), shape: [2, 2] as [number, number], layer: 'conv_last' };

describe('heatmap cache', () => {
  it('keeps a model id of "..", ".", "" or "../x" inside heatmaps/, each in its own folder', () => {
    const dataDir = path.join(base, 'data');
    const root = path.join(dataDir, 'heatmaps');
    const seen = new Set<string>();
    for (const id of ['..', '.', '', '../x', '../../etc', '.hidden', 'a/../..', 'ok-model_1.2']) {
      const file = camPath(dataDir, id, 3);
      const rel = path.relative(root, file);
      expect(rel.startsWith('..') || path.isAbsolute(rel), `${id} -> ${file}`).toBe(false);
      expect(path.dirname(file), id).not.toBe(root);
      seen.add(path.dirname(file));
      writeCachedHeatmap(dataDir, id, 3, heatmap, 1);
      expect(readCachedHeatmap(dataDir, id, 3)?.classIndex).toBe(1);
    }
    // Nothing written outside heatmaps/ (a '..' id wrote <dataDir>/3.cam before).
    expect(fs.readdirSync(dataDir)).toEqual(['heatmaps']);
    expect(fs.readdirSync(base)).toEqual(['data']);
  });

  it('writes cache files 0600 in owner-only folders, with no temp file left', () => {
    const dataDir = path.join(base, 'modes');
    writeCachedHeatmap(dataDir, 'model-a', 7, heatmap, 2);
    const file = camPath(dataDir, 'model-a', 7);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o077).toBe(0);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['7.cam']);
    expect(readCachedHeatmap(dataDir, 'model-a', 7)).toEqual({ heatmap, classIndex: 2 });
  });
});

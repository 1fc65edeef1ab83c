import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where a file shipped under `resources/` (`rel` inside it) may lie, in order: a packaged app's
 * resources folder, then `resources/` beside each folder up from this file (the source tree, the
 * electron-vite build in `out/main`, or its `chunks/`).
 */
export function resourceCandidates(rel: string): string[] {
  const out: string[] = [];
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) out.push(path.join(resourcesPath, rel));
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = path.dirname(dir)) out.push(path.join(dir, 'resources', rel));
  return out;
}

/** The first of resourceCandidates(rel) that exists, or null. */
export function findResource(rel: string): string | null {
  return resourceCandidates(rel).find((c) => fs.existsSync(c)) ?? null;
}

import fs from 'node:fs';
import path from 'node:path';
import type { Services } from '../services/services';

/**
 * A folder dropped on the window becomes an import root, like one chosen in the dialog. The path
 * comes from the preload (Electron's webUtils.getPathForFile on a real dropped File: a page
 * cannot forge one), and must still be an absolute path to an existing directory.
 */
export function allowDroppedFolder(s: Services, dropped: unknown): string | null {
  if (typeof dropped !== 'string' || dropped.length === 0 || dropped.length > 4096 || dropped.includes('\0')) return null;
  if (!path.isAbsolute(dropped)) return null;
  const folder = path.resolve(dropped);
  try {
    if (!fs.statSync(folder).isDirectory()) return null;
  } catch {
    return null;
  }
  s.importRoots.add(folder);
  return folder;
}

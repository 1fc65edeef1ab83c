/**
 * The one folder-access policy: the renderer may only have the main process read folders the user
 * chose in a dialog or dropped on the window (Services.importRoots), and what lies inside them.
 *
 * Inside, not only exactly: a chosen folder is the user's grant of everything under it (an import
 * walks it all anyway), and a labelled training folder is often a subfolder of an imported root.
 * The check is lexical, on resolved absolute paths, so `..`, prefix siblings (`/a/chosen-evil`)
 * and relative paths are refused before anything is read; and then on real paths: the roots are
 * kept as their real paths, and a path whose symlinks lead outside every root is refused too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CxrError } from '../../shared/errors';
import type { Services } from '../services/services';

type WithRoots = Pick<Services, 'importRoots'>;

/** Lexically: `target` is `root` or lies below it (both absolute and resolved). */
function lexicallyInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path (symlinks followed), or the resolved path when it does not exist (yet). */
function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Whether `target` lies inside `root` both as written and once every symlink is followed: a link
 * inside the folder that points outside it is outside. A target that does not exist is judged
 * lexically against the real root (nothing to read there anyway).
 */
export function isInsideFolder(root: string, target: string): boolean {
  const absRoot = path.resolve(root);
  const abs = path.resolve(target);
  if (!lexicallyInside(absRoot, abs) && !lexicallyInside(realOrResolved(absRoot), abs)) return false;
  return lexicallyInside(realOrResolved(absRoot), realOrResolved(abs));
}

/** Whether `p` is a chosen folder or lies inside one (as written and by its real path). */
export function isInsideChosenFolder(s: WithRoots, p: string): boolean {
  for (const root of s.importRoots) if (isInsideFolder(root, p)) return true;
  return false;
}

/** The folders, resolved, when each is a chosen folder or inside one; else BAD_INPUT naming those refused. */
export function requireChosenFolders(s: WithRoots, folders: readonly string[]): string[] {
  const refused = folders.filter((f) => !isInsideChosenFolder(s, f));
  if (refused.length > 0) {
    throw new CxrError('BAD_INPUT', `folders must be chosen in the folder dialog (or lie inside one); refused: ${refused.join(', ')}`.slice(0, 1000));
  }
  return folders.map((f) => path.resolve(f));
}

/** Opens the folder dialog; the chosen folder becomes readable. */
export async function chooseFolder(s: Pick<Services, 'importRoots' | 'chooseFolder'>): Promise<string | null> {
  if (!s.chooseFolder) throw new CxrError('BAD_INPUT', 'no folder dialog here; give folders on the command line');
  const folder = await s.chooseFolder();
  if (!folder) return null;
  const abs = realOrResolved(folder);
  s.importRoots.add(abs);
  return abs;
}

/**
 * A folder dropped on the window becomes readable, like one chosen in the dialog. The path comes
 * from the preload (Electron's webUtils.getPathForFile on a real dropped File: a page cannot forge
 * one), and must still be an absolute path to an existing directory.
 */
export function allowDroppedFolder(s: WithRoots, dropped: unknown): string | null {
  if (typeof dropped !== 'string' || dropped.length === 0 || dropped.length > 4096 || dropped.includes('\0')) return null;
  if (!path.isAbsolute(dropped)) return null;
  let folder: string;
  try {
    folder = fs.realpathSync(dropped);
    if (!fs.statSync(folder).isDirectory()) return null;
  } catch {
    return null;
  }
  s.importRoots.add(folder);
  return folder;
}

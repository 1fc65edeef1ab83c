/**
 * Owner-only files and folders for what holds PHI (the data folder, the catalog, exports, caches):
 * an existing path with loose modes is tightened, and a file is written whole or not at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Tightens an existing `target` to `mode` (0700 for a folder, 0600 for a file) when group or
 * others have any access; a path that does not exist is left alone. A chmod that fails (not our
 * file) is an error naming the path. Windows has no POSIX modes: nothing to do there.
 */
export function tightenMode(target: string, mode: 0o700 | 0o600): void {
  if (process.platform === 'win32') return;
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    return;
  }
  if ((st.mode & 0o077) === 0) return;
  try {
    fs.chmodSync(target, mode);
  } catch (err) {
    throw new Error(`${target}: readable by other users (mode ${(st.mode & 0o777).toString(8)}) and cannot be made owner-only: ${(err as Error).message}`);
  }
}

/** Creates `dir` (and parents) owner-only, and tightens it when it already existed with loose modes. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  tightenMode(dir, 0o700);
}

/**
 * Writes `data` to `file` through a temporary sibling (created 0600, exclusive), flushed and then
 * renamed over `file`: a reader or a crash sees the old file or the new one, never half of one.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode: 0o600 = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  tightenMode(file, mode);
}

import fs from 'node:fs';
import path from 'node:path';
import type { ImportFileError } from '../../shared/import';
import { isInsideFolder } from '../access/folderAccess';

export interface ScannedFile {
  path: string;
  /** The import root it was found under (for folder-structure patients and labels). */
  root: string;
  size: number;
}

/**
 * Walks the roots depth-first, following symlinks that stay inside the root (never into a folder
 * it has already been in: symlink loops), in a stable order. A link that leads outside the chosen
 * folder is not followed; it, unreadable folders, broken links and loops are reported as problems
 * and the walk goes on.
 */
export async function scanRoots(roots: string[]): Promise<{ files: ScannedFile[]; problems: ImportFileError[] }> {
  const files: ScannedFile[] = [];
  const problems: ImportFileError[] = [];
  const visited = new Set<string>();
  const seenFiles = new Set<string>();

  for (const rootArg of roots) {
    const root = path.resolve(rootArg);
    let rootStat: fs.Stats;
    try {
      rootStat = await fs.promises.stat(root);
    } catch (err) {
      problems.push({ file: root, reason: `cannot read the import folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    if (rootStat.isFile()) {
      files.push({ path: root, root: path.dirname(root), size: rootStat.size });
      continue;
    }
    const stack: string[] = [root];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let real: string;
      let entries: fs.Dirent[];
      try {
        real = await fs.promises.realpath(dir);
        if (visited.has(real)) {
          problems.push({ file: dir, reason: `symlink loop: this folder is ${real}, already scanned` });
          continue;
        }
        visited.add(real);
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (err) {
        problems.push({ file: dir, reason: `unreadable folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subdirs: string[] = [];
      for (const e of entries) {
        const full = path.join(dir, e.name);
        let isDir = e.isDirectory();
        let isFile = e.isFile();
        let size = 0;
        if (e.isSymbolicLink() && !isInsideFolder(root, full)) {
          problems.push({ file: full, reason: 'symlink pointing outside the import folder: not followed' });
          continue;
        }
        if (e.isSymbolicLink() || isFile) {
          try {
            const st = await fs.promises.stat(full);
            isDir = st.isDirectory();
            isFile = st.isFile();
            size = st.size;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            const why = code === 'ELOOP' ? 'symlink loop' : code === 'ENOENT' ? 'broken symlink' : 'unreadable';
            problems.push({ file: full, reason: `${why}: ${code ?? String(err)}` });
            continue;
          }
        }
        if (isDir) subdirs.push(full);
        else if (isFile) {
          // The same file reached twice through links is scanned once.
          const key = `${size}:${await fs.promises.realpath(full).catch(() => full)}`;
          if (seenFiles.has(key)) continue;
          seenFiles.add(key);
          files.push({ path: full, root, size });
        } else problems.push({ file: full, reason: 'not a regular file (a FIFO, socket or device): not read' });
      }
      // Reverse so the stack pops folders in name order.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
    }
  }
  return { files, problems };
}

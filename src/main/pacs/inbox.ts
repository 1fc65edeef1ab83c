/**
 * The managed inbox under the app data folder: retrieved studies and received associations are
 * written here, then imported from here like any folder (the catalog keeps these paths; the
 * files stay as the originals of what they catalogue).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const inboxRoot = (dataDir: string): string => path.join(dataDir, 'pacs-inbox');
export const receivedDir = (dataDir: string): string => path.join(inboxRoot(dataDir), 'received');

/** One folder per retrieved study, named by a hash of its UID (short, and the same on a retry). */
export function retrievedStudyDir(dataDir: string, studyUid: string): string {
  const h = crypto.createHash('sha256').update(studyUid).digest('hex').slice(0, 20);
  return path.join(inboxRoot(dataDir), 'retrieved', `study-${h}`);
}

/** Writes a file whole or not at all: a reader (the import) never sees half of one. */
export async function writeWhole(file: string, bytes: Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.part`;
  await fs.promises.writeFile(tmp, bytes, { mode: 0o600 });
  await fs.promises.rename(tmp, file);
}

export const instanceFileName = (sopUid: string): string => `${sopUid.replace(/[^0-9.]/g, '_').slice(0, 64) || 'instance'}.dcm`;

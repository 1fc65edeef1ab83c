import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices, type Services } from '../../src/main/services/services';

/** Real services over a real SQLite catalog in a fresh temp folder. */
export function tempServices(prefix = 'cxr-test-'): Services & { cleanup(): Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const s = createServices({ dataDir: dir });
  return Object.assign(s, {
    async cleanup() {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The shared data folder beside the checkout (CI has it too). */
export const SHARED_DATA = path.resolve(__dirname, '../../../shared/data');

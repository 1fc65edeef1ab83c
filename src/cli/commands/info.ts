import type { Command } from '../command';
import { createHandlers } from '../../main/ipc/handlers';
import type { SystemInfo } from '../../shared/system';

export const info: Command = {
  summary: 'print system.info: versions, data folder, catalog, and the tfjs backend that ran',
  usage: 'cxr info [--json] [--db <file>] [--data-dir <dir>]',
  options: {},
  async run(ctx) {
    const res = await createHandlers(ctx.services())['system.info']({});
    if (!res.ok) throw new Error(res.error.message);
    return res.value;
  },
  print(result) {
    const i = result as SystemInfo;
    return [
      `CXR Triage ${i.appVersion} (${i.platform}, node ${i.versions.node}, tfjs ${i.versions.tfjs})`,
      `data folder: ${i.dataDir}`,
      `catalog:     ${i.catalogPath} (schema v${i.schemaVersion})`,
      `backend:     ${i.backend.name}${i.backend.name === 'wasm' ? ` (${i.backend.threads} thread(s), SIMD ${i.backend.simd ? 'on' : 'off'})` : ''}`,
      ...i.backend.refusals.map((r) => `  not ${r.backend}: ${r.reason}`),
    ].join('\n');
  },
};

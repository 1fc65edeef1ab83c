import { schemaVersion } from '../../catalog/openCatalog';
import { tfjsVersion, type Services } from '../../services/services';
import { gpuName } from '../../tfjs/webgpuAdapter';
import type { GroupImpl } from './types';

export function systemHandlers(s: Services): GroupImpl<'system'> {
  return {
    'system.info': async () => {
      const b = await s.backend();
      return {
        appVersion: s.appVersion,
        dataDir: s.dataDir,
        catalogPath: s.catalogPath,
        schemaVersion: schemaVersion(s.catalog),
        backend: { name: b.name, threads: b.threads, simd: b.simd, refusals: b.refusals, gpu: b.gpu ? gpuName(b.gpu) : null },
        versions: { node: process.versions.node, electron: s.electronVersion, tfjs: tfjsVersion() },
        platform: `${process.platform}-${process.arch}`,
      };
    },
    'system.ping': async (req) => ({ t: req.t, serverTime: Date.now() }),
  };
}

/**
 * Runs in the page before the app: stands in for the Electron preload by building `window.cxr`
 * with the same buildApi over Playwright bindings wired to the real handler map.
 */
import { buildApi } from '../../src/preload/buildApi';
import type { EventEnvelope } from '../../src/shared/contract';
import type { IpcResult } from '../../src/shared/errors';

type HarnessWindow = Window & {
  __cxrInvoke(channel: string, payload: unknown): Promise<IpcResult<unknown>>;
  __cxrEmit(env: EventEnvelope): void;
};
const w = window as unknown as HarnessWindow;
const listeners = new Set<(env: EventEnvelope) => void>();
w.__cxrEmit = (env) => listeners.forEach((l) => l(env));
window.cxr = buildApi(
  (channel, payload) => w.__cxrInvoke(channel, payload),
  (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
);

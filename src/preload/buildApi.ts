import { EVENT_NAMES, operations, type CxrApi, type EventEnvelope, type EventName } from '../shared/contract';
import { CxrError, type IpcResult } from '../shared/errors';

export type Invoke = (channel: string, payload: unknown) => Promise<IpcResult<unknown>>;
export type Subscribe = (listener: (envelope: EventEnvelope) => void) => () => void;

/**
 * Builds `window.cxr` from the contract: one function per operation, errors re-thrown as CxrError.
 * Used by the Electron preload (over ipcRenderer) and by the browser harness (over exposeBinding).
 */
export function buildApi(invoke: Invoke, subscribe: Subscribe): CxrApi {
  const api: Record<string, unknown> = {};
  for (const [group, ops] of Object.entries(operations)) {
    const fns: Record<string, (req?: unknown) => Promise<unknown>> = {};
    for (const name of Object.keys(ops)) {
      const channel = `${group}.${name}`;
      fns[name] = async (req?: unknown) => {
        const res = await invoke(channel, req ?? {});
        if (res.ok) return res.value;
        throw new CxrError(res.error.code, res.error.message, res.error.issues);
      };
    }
    api[group] = Object.freeze(fns);
  }
  api.on = <E extends EventName>(event: E, listener: (payload: unknown) => void) => {
    if (!EVENT_NAMES.includes(event)) throw new CxrError('UNKNOWN_CHANNEL', `no event named ${String(event)}`);
    return subscribe((env) => {
      if (env.event === event) listener(env.payload);
    });
  };
  return Object.freeze(api) as unknown as CxrApi;
}

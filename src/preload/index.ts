import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, type EventEnvelope } from '../shared/contract';
import type { IpcResult } from '../shared/errors';
import { buildApi } from './buildApi';

const api = buildApi(
  (channel, payload) => ipcRenderer.invoke(channel, payload) as Promise<IpcResult<unknown>>,
  (listener) => {
    const wrapped = (_e: IpcRendererEvent, env: EventEnvelope) => listener(env);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.off(EVENT_CHANNEL, wrapped);
  },
);

contextBridge.exposeInMainWorld('cxr', api);

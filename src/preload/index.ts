import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
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

// Folder drag-and-drop: only a real dropped File has a path; main checks it is a directory.
contextBridge.exposeInMainWorld('cxrDrop', {
  registerDroppedFolder: async (file: File): Promise<{ folder: string | null }> => {
    const dropped = webUtils.getPathForFile(file);
    if (!dropped) return { folder: null };
    return (await ipcRenderer.invoke('cxr:drop-folder', dropped)) as { folder: string | null };
  },
});

import { ipcMain, BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { CHANNELS, EVENT_CHANNEL, type EventEnvelope } from '../../shared/contract';
import type { IpcResult } from '../../shared/errors';
import type { HandlerMap } from '../ipc/handlers';
import type { Services } from '../services/services';
import { allowDroppedFolder } from '../access/folderAccess';

/** Not part of window.cxr: only the preload's drop hook calls it, with a path from a real File. */
export const DROP_FOLDER_CHANNEL = 'cxr:drop-folder';

/**
 * The only module that touches ipcMain: binds each channel of the handler map, checks that the
 * sender is our own top-level renderer frame, and forwards service events to every window.
 */
export function bindIpc(handlers: HandlerMap, services: Services, isTrustedSender: (url: string) => boolean): () => void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown): Promise<IpcResult<unknown>> => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isTrustedSender(frame.url)) {
        return { ok: false, error: { code: 'FORBIDDEN_SENDER', message: `${channel}: refused a call from an untrusted frame` } };
      }
      return handlers[channel](payload);
    });
  }
  ipcMain.handle(DROP_FOLDER_CHANNEL, (event: IpcMainInvokeEvent, dropped: unknown) => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null || !isTrustedSender(frame.url)) return { folder: null };
    return { folder: allowDroppedFolder(services, dropped) };
  });
  const unsubscribe = services.events.subscribe((event, payload) => {
    const envelope: EventEnvelope = { event, payload } as EventEnvelope;
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, envelope);
    }
  });
  return () => {
    unsubscribe();
    for (const channel of CHANNELS) ipcMain.removeHandler(channel);
    ipcMain.removeHandler(DROP_FOLDER_CHANNEL);
  };
}

import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempServices } from '../helpers/tempServices';
import { createHandlers } from '../../src/main/ipc/handlers';
import { CHANNELS } from '../../src/shared/contract';

// The Electron binary cannot run here: stand in for ipcMain to test everything around it.
const registered = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (ch: string, fn: (event: unknown, payload: unknown) => Promise<unknown>) => registered.set(ch, fn),
    removeHandler: (ch: string) => registered.delete(ch),
  },
  BrowserWindow: { getAllWindows: () => [] },
}));
const { bindIpc, DROP_FOLDER_CHANNEL } = await import('../../src/main/app/ipc');

const s = tempServices();
afterAll(() => s.cleanup());
const unbind = bindIpc(createHandlers(s), s, (url) => url === 'file:///app/index.html');

const frame = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } });

describe('ipc.ts sender validation', () => {
  it('binds every channel of the contract, plus the preload-only drop channel', () => {
    expect([...registered.keys()].sort()).toEqual([...CHANNELS, DROP_FOLDER_CHANNEL].sort());
  });

  it('allows a dropped folder only from the trusted frame', async () => {
    const drop = registered.get(DROP_FOLDER_CHANNEL)!;
    expect(await drop(frame('https://evil.example/'), s.dataDir)).toEqual({ folder: null });
    expect(s.importRoots.has(s.dataDir)).toBe(false);
    expect(await drop(frame('file:///app/index.html'), s.dataDir)).toEqual({ folder: s.dataDir });
    expect(s.importRoots.has(s.dataDir)).toBe(true);
  });

  it('answers the trusted top-level renderer frame', async () => {
    const res = await registered.get('system.ping')!(frame('file:///app/index.html'), { t: 1 });
    expect(res).toMatchObject({ ok: true, value: { t: 1 } });
  });

  it('refuses a foreign origin, a sub-frame and a missing frame with FORBIDDEN_SENDER', async () => {
    for (const ev of [frame('https://evil.example/'), frame('file:///app/index.html', {}), { senderFrame: null }]) {
      const res = await registered.get('system.info')!(ev, {});
      expect(res).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    }
  });

  it('removes every handler when unbound', () => {
    unbind();
    expect(registered.size).toBe(0);
  });
});

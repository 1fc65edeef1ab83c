import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { openApp, screenshot, type AppSession } from './harness';
import { tempServices } from '../helpers/tempServices';
import { createHandlers } from '../../src/main/ipc/handlers';

const services = tempServices('cxr-e2e-shell-');
let app: AppSession;

beforeAll(async () => {
  app = await openApp(services);
});
afterAll(async () => {
  await app?.close();
  await services.cleanup();
});

describe('app shell in Chromium', () => {
  it('shows the backend that system.info really returned in the status bar', async () => {
    const res = await createHandlers(services)['system.info']({});
    if (!res.ok) throw new Error(res.error.message);
    const info = res.value as { backend: { name: string; refusals: { backend: string; reason: string }[] } };
    const backend = app.page.getByTestId('status-backend');
    await expect.poll(() => backend.textContent()).toContain(`Backend: ${info.backend.name}`);
    const refusals = await app.page.getByTestId('status-refusals').textContent();
    for (const r of info.backend.refusals) expect(refusals).toContain(`${r.backend}: ${r.reason}`);
    expect(app.calls).toContain('system.info');
    const file = await screenshot(app.page, 'shell');
    expect(fs.statSync(file).size).toBeGreaterThan(5_000);
  });

  it('keeps the research-use notice visible', async () => {
    await expect.poll(() => app.page.getByTestId('ruo').isVisible()).toBe(true);
  });

  it('surfaces a typed INVALID_PAYLOAD error to renderer code as a CxrError', async () => {
    const err = await app.page.evaluate(async () => {
      try {
        // Deliberately wrong type from the page, as a compromised renderer might send.
        await (window.cxr.system.ping as (r: unknown) => Promise<unknown>)({ t: 'x' });
        return null;
      } catch (e) {
        return { name: (e as Error).name, code: (e as { code?: string }).code };
      }
    });
    expect(err).toEqual({ name: 'CxrError', code: 'INVALID_PAYLOAD' });
  });
});

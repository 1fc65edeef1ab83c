import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { createHandlers, handlerFor } from '../handlers';
import { CHANNELS } from '../../../shared/contract';
import { tempServices } from '../../../../test/helpers/tempServices';

const s = tempServices();
const handlers = createHandlers(s);
afterAll(() => s.cleanup());

describe('handler map', () => {
  it('has one handler for every channel of the contract', () => {
    expect(Object.keys(handlers).sort()).toEqual([...CHANNELS].sort());
  });

  it('system.info reports the catalog it created and the backend that ran an op', async () => {
    const res = await handlers['system.info']({});
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const info = res.value as { catalogPath: string; schemaVersion: number; backend: { name: string; refusals: { backend: string }[] } };
    expect(fs.existsSync(info.catalogPath)).toBe(true);
    expect(info.schemaVersion).toBeGreaterThan(0);
    // No native tfjs here: wasm wins, and both native packages are refused with a reason.
    expect(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']).toContain(info.backend.name);
    for (const r of info.backend.refusals) expect(r.backend).not.toBe(info.backend.name);
  });

  it('rejects an invalid payload with a typed INVALID_PAYLOAD error naming the field', async () => {
    const res = await handlers['system.ping']({ t: 'soon' });
    expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    if (res.ok) return;
    expect(res.error.issues?.[0]?.path).toBe('t');
    expect(res.error.message).toContain('system.ping');
  });

  it('rejects unknown keys, including prototype-pollution keys', async () => {
    const res = await handlers['system.info'](JSON.parse('{"__proto__": {"polluted": 1}}'));
    expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not resolve channels through the prototype chain', () => {
    expect(handlerFor(handlers, 'constructor')).toBeUndefined();
    expect(handlerFor(handlers, 'system.info')).toBeTypeOf('function');
  });
});

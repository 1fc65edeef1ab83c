import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempServices } from '../../../../test/helpers/tempServices';
import { seedCatalog, SEED_MODEL } from '../../../../test/helpers/seedCatalog';
import { fixedOperatingPoint } from '../../../../test/helpers/trainingFixtures';
import { value } from '../../../../test/helpers/catalogQuery';
import { createHandlers } from '../../ipc/handlers';
import { modelCard, modelRow, upsertModel } from '../models';
import type { AppSettings } from '../../../shared/settings';
import type { WorklistCounts, WorklistPage } from '../../../shared/worklist';

/** The worklist's "Flagged" threshold comes from one typed card field: `operatingPoint.threshold`. */
const s = tempServices('cxr-threshold-');
const h = createHandlers(s);
afterAll(() => s.cleanup());
let seeded: Record<string, unknown>;
beforeAll(() => {
  seedCatalog(s.catalog, { images: 300 });
  const { operatingPoint: _dropped, ...card } = modelCard(modelRow(s.catalog, SEED_MODEL.id)!);
  seeded = card;
});

/** Replaces the active (seeded) model's card by one without `operatingPoint`, plus `fields`. */
function setActiveCard(fields: Record<string, unknown>): void {
  const row = modelRow(s.catalog, SEED_MODEL.id)!;
  upsertModel(s.catalog, { ...row, parent: null, builtin: true, cardJson: JSON.stringify({ ...seeded, ...fields }) });
}

async function call<T>(channel: keyof typeof h, payload: unknown = {}): Promise<T> {
  const r = await h[channel](payload);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as T;
}

async function flagging(): Promise<{ threshold: number; source: AppSettings['thresholdSource']; flagged: number }> {
  const page = await call<WorklistPage>('worklist.query', { filters: { flagged: true } });
  const counts = await call<WorklistCounts>('worklist.counts');
  const settings = await call<AppSettings>('settings.get');
  expect(counts.threshold).toBe(page.threshold);
  expect(settings.operatingThreshold).toBe(page.threshold);
  return { threshold: page.threshold, source: settings.thresholdSource, flagged: page.total };
}

const atOrAbove = (t: number) => value(s.catalog, 'SELECT count(*) FROM worklist_entries WHERE p_covid >= ?', t);

describe('the flag threshold', () => {
  it("reads the active card's operatingPoint.threshold", async () => {
    setActiveCard({ operatingPoint: fixedOperatingPoint(0.3) });
    const f = await flagging();
    expect(f).toEqual({ threshold: 0.3, source: 'model card', flagged: atOrAbove(0.3) });
    expect(f.flagged).toBeGreaterThan(atOrAbove(0.5));
  });

  it('falls back to the default when the card lacks the field', async () => {
    setActiveCard({});
    expect(await flagging()).toEqual({ threshold: 0.5, source: 'default', flagged: atOrAbove(0.5) });
  });

  it.each([
    ['operatingThreshold at the top level', { operatingThreshold: 0.3 }],
    ['operating_threshold', { operating_threshold: 0.3 }],
    ['thresholds.COVID19', { thresholds: { COVID19: 0.3 } }],
  ])('does not read a threshold spelled %s', async (_name, fields) => {
    setActiveCard(fields);
    expect(await flagging()).toEqual({ threshold: 0.5, source: 'default', flagged: atOrAbove(0.5) });
  });

  it('refuses an operatingPoint without its threshold, naming the catalog row and the field', async () => {
    setActiveCard({ operatingPoint: { value: 0.3 } });
    await expect(call('worklist.counts')).rejects.toThrow(/model seed-model-1 in the catalog is invalid: operatingPoint\.threshold/);
  });

  it('reads the shipped default that predicts while no model is active (a fresh catalog), not the 0.5 fallback', async () => {
    setActiveCard({ operatingPoint: fixedOperatingPoint(0.3) });
    s.catalog.prepare('UPDATE models SET is_active = 0').run();
    try {
      expect(value(s.catalog, 'SELECT count(*) FROM models WHERE is_active = 1')).toBe(0);
      expect(await flagging()).toEqual({ threshold: 0.3, source: 'model card', flagged: atOrAbove(0.3) });
    } finally {
      s.catalog.prepare('UPDATE models SET is_active = 1 WHERE id = ?').run(SEED_MODEL.id);
    }
  });

  it('lets Settings override the card, and clearing the override goes back to it', async () => {
    setActiveCard({ operatingPoint: fixedOperatingPoint(0.3) });
    await call('settings.set', { operatingThreshold: 0.7 });
    expect(await flagging()).toEqual({ threshold: 0.7, source: 'settings', flagged: atOrAbove(0.7) });
    await call('settings.set', { operatingThreshold: null });
    expect((await flagging()).threshold).toBe(0.3);
  });
});

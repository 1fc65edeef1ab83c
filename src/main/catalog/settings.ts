/** The `settings` table: key/value pairs the user sets, and the flag threshold they may override. */
import { audit, type Catalog } from './openCatalog';
import { modelCard, predictingModelRow } from './models';
import type { AppSettings } from '../../shared/settings';

export const REVIEWER_SETTING = 'reviewer_name';
const THRESHOLD_SETTING = 'operating_threshold';
/** Used when neither Settings nor the active model's card gives an operating threshold. */
const DEFAULT_THRESHOLD = 0.5;

export function getSetting(db: Catalog, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setSetting(db: Catalog, key: string, value: string): void {
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

function deleteSetting(db: Catalog, key: string): void {
  db.prepare('DELETE FROM settings WHERE key = ?').run(key);
}

/**
 * The threshold Settings holds, else the card's `operatingPoint.threshold` (the one field a card
 * gives it in) of the model predictions are made with, else the default. Before, a fresh catalog
 * whose shipped default predicted without being activated flagged at the 0.5 default, not at its
 * card's 0.275.
 */
export function operatingThreshold(db: Catalog): { value: number; source: AppSettings['thresholdSource'] } {
  const set = Number(getSetting(db, THRESHOLD_SETTING));
  if (getSetting(db, THRESHOLD_SETTING) !== undefined && Number.isFinite(set)) return { value: set, source: 'settings' };
  const row = predictingModelRow(db);
  const fromCard = row ? modelCard(row).operatingPoint?.threshold : undefined;
  if (fromCard !== undefined) return { value: fromCard, source: 'model card' };
  return { value: DEFAULT_THRESHOLD, source: 'default' };
}

export function readSettings(db: Catalog): AppSettings {
  const t = operatingThreshold(db);
  return { reviewerName: getSetting(db, REVIEWER_SETTING) ?? '', operatingThreshold: t.value, thresholdSource: t.source };
}

/** Applies a settings change (null threshold: back to the card's) and audits before and after. */
export function updateSettings(db: Catalog, req: { reviewerName?: string; operatingThreshold?: number | null }): AppSettings {
  // The change and its audit row commit together or not at all (IMMEDIATE: read then write, no BUSY upgrade).
  return db.transaction(() => {
    const before = readSettings(db);
    if (req.reviewerName !== undefined) setSetting(db, REVIEWER_SETTING, req.reviewerName);
    if (req.operatingThreshold === null) deleteSetting(db, THRESHOLD_SETTING);
    else if (req.operatingThreshold !== undefined) setSetting(db, THRESHOLD_SETTING, String(req.operatingThreshold));
    const after = readSettings(db);
    audit(db, { actor: after.reviewerName || 'app', action: 'settings.set', entity: 'settings', detail: { before, after } });
    return after;
  }).immediate();
}

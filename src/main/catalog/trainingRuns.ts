import os from 'node:os';
import type { Catalog } from './openCatalog';
import { audit } from './openCatalog';
import type { Comparison, DatasetSummary, RunStatus, TrainingConfig, TrainingRunRecord } from '../../shared/training';

/** What config_json holds: the UI's choices, the data it saw, and which process runs it. */
interface StoredConfig {
  config: TrainingConfig;
  dataset: DatasetSummary | null;
  owner: { pid: number; host: string };
}

interface RunRow {
  id: number;
  status: RunStatus;
  config_json: string;
  model_id: string | null;
  parent_id: string | null;
  metrics_json: string | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
}

export function createRun(db: Catalog, config: TrainingConfig, dataset: DatasetSummary, parentId: string | null): number {
  const stored: StoredConfig = { config, dataset, owner: { pid: process.pid, host: os.hostname() } };
  const id = Number(
    db
      .prepare(`INSERT INTO training_runs (status, config_json, parent_id) VALUES ('running', ?, ?)`)
      .run(JSON.stringify(stored), parentId && db.prepare('SELECT 1 FROM models WHERE id = ?').get(parentId) ? parentId : null)
      .lastInsertRowid,
  );
  audit(db, { actor: 'training', action: 'training.start', entity: 'training_run', entityId: id, detail: { images: dataset.total, architecture: config.architecture, start: config.start } });
  return id;
}

export function finishRun(
  db: Catalog,
  id: number,
  outcome: { status: Exclude<RunStatus, 'running'>; modelId?: string | null; error?: string | null; comparison?: Comparison | null },
): void {
  db.prepare(
    `UPDATE training_runs SET status = ?, model_id = ?, error = ?, metrics_json = ?,
       finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND status = 'running'`,
  ).run(outcome.status, outcome.modelId ?? null, outcome.error?.slice(0, 2000) ?? null, outcome.comparison ? JSON.stringify(outcome.comparison) : null, id);
  audit(db, { actor: 'training', action: `training.${outcome.status}`, entity: 'training_run', entityId: id, detail: { modelId: outcome.modelId ?? null } });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Marks every run left 'running' by a process that is gone (a crash, a kill, a power cut) as
 * failed. Runs this process owns are skipped via `ownRunIds`; so is a live process on this host
 * (the CLI training beside the app).
 */
export function recoverInterruptedRuns(db: Catalog, ownRunIds: ReadonlySet<number> = new Set()): number[] {
  const rows = db.prepare(`SELECT id, config_json FROM training_runs WHERE status = 'running'`).all() as { id: number; config_json: string }[];
  const host = os.hostname();
  const stale: number[] = [];
  for (const r of rows) {
    if (ownRunIds.has(r.id)) continue;
    let owner: StoredConfig['owner'] | undefined;
    try {
      owner = (JSON.parse(r.config_json) as Partial<StoredConfig>).owner;
    } catch {
      owner = undefined;
    }
    const otherLiveProcess = owner && owner.host === host && owner.pid !== process.pid && alive(owner.pid);
    if (!otherLiveProcess) stale.push(r.id);
  }
  for (const id of stale) finishRun(db, id, { status: 'failed', error: 'interrupted: the process running it stopped before it finished' });
  return stale;
}

function toRecord(r: RunRow): TrainingRunRecord {
  const stored = JSON.parse(r.config_json) as StoredConfig;
  return {
    id: r.id,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    modelId: r.model_id,
    parentId: r.parent_id,
    config: stored.config,
    dataset: stored.dataset ?? null,
    comparison: r.metrics_json ? (JSON.parse(r.metrics_json) as Comparison) : null,
  };
}

/** Runs recorded as running (by this or any process). */
export function runningRunIds(db: Catalog): number[] {
  return db.prepare(`SELECT id FROM training_runs WHERE status = 'running'`).pluck().all() as number[];
}

export function getRun(db: Catalog, id: number): TrainingRunRecord | null {
  const r = db.prepare('SELECT * FROM training_runs WHERE id = ?').get(id) as RunRow | undefined;
  return r ? toRecord(r) : null;
}

export function listRuns(db: Catalog, limit = 20): TrainingRunRecord[] {
  return (db.prepare('SELECT * FROM training_runs ORDER BY id DESC LIMIT ?').all(limit) as RunRow[]).map(toRecord);
}

export function lastFinishedRun(db: Catalog): TrainingRunRecord | null {
  const r = db.prepare(`SELECT * FROM training_runs WHERE status != 'running' ORDER BY id DESC LIMIT 1`).get() as RunRow | undefined;
  return r ? toRecord(r) : null;
}

import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { migrations } from './schema';
import { tightenMode } from '../services/privateFiles';

export type Catalog = Database.Database;

export class CatalogError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'CatalogError';
  }
}

/**
 * Opens (creating if needed) the SQLite catalog at `file`: WAL, foreign keys on, migrations
 * applied up to `migrations.length`. The file is created owner-only (0600) since it holds PHI.
 */
export function openCatalog(file: string, opts: { readonly?: boolean } = {}): Catalog {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!opts.readonly && !fs.existsSync(file)) {
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  }
  // A catalog copied in or made by an older build may be 0644: owner-only before it is opened.
  if (!opts.readonly) for (const f of [file, `${file}-wal`, `${file}-shm`]) tightenMode(f, 0o600);
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (opts.readonly) return db;
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db, file);
  return db;
}

export function schemaVersion(db: Catalog): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Catalog, file: string): void {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new CatalogError(
      file,
      `catalog schema version ${current} is newer than this app (${migrations.length}); update the app`,
    );
  }
  for (let v = current; v < migrations.length; v++) {
    // Two processes opening a new catalog at once: the second sees the version the first wrote.
    writeTransaction(db, () => {
      if (schemaVersion(db) !== v) return;
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** How often a write transaction that could not take the write lock within busy_timeout is tried again. */
const BUSY_RETRIES = 3;
const BUSY_BACKOFF_MS = 100;

export function isBusyError(err: unknown): boolean {
  return err instanceof Database.SqliteError && (err.code.startsWith('SQLITE_BUSY') || err.code.startsWith('SQLITE_LOCKED'));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A write transaction: BEGIN IMMEDIATE, so it waits (busy_timeout) for the write lock up front
 * instead of failing at once with SQLITE_BUSY when it reads first and another connection writes
 * meanwhile; and, should the lock still be held after that, tried again a few times. Only the
 * BEGIN is retried (the body has not run then), so a body's side effects happen once. Inside
 * another transaction it is a savepoint, as any nested transaction.
 */
export function writeTransaction<A extends unknown[], R>(db: Catalog, fn: (...args: A) => R): (...args: A) => R {
  let entered = false;
  const tx = db.transaction((...args: A) => {
    entered = true;
    return fn(...args);
  });
  return (...args: A): R => {
    for (let attempt = 0; ; attempt++) {
      entered = false;
      const nested = db.inTransaction;
      try {
        return tx.immediate(...args);
      } catch (err) {
        if (nested || entered || attempt >= BUSY_RETRIES || !isBusyError(err)) throw err;
        sleepSync(BUSY_BACKOFF_MS * 2 ** attempt);
      }
    }
  };
}

/** Appends to the audit log. Detail must never hold patient names or IDs. */
export function audit(
  db: Catalog,
  entry: { actor: string; action: string; entity?: string; entityId?: string | number; detail?: unknown },
): void {
  db.prepare(
    'INSERT INTO audit_log (actor, action, entity, entity_id, detail_json) VALUES (?, ?, ?, ?, ?)',
  ).run(
    entry.actor,
    entry.action,
    entry.entity ?? null,
    entry.entityId === undefined ? null : String(entry.entityId),
    entry.detail === undefined ? null : JSON.stringify(entry.detail),
  );
}

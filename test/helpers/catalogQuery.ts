import type { Catalog } from '../../src/main/catalog/openCatalog';

/*
 * Read-only SQL for tests that check exactly what a write left in the catalog. Production code
 * reads and writes the catalog only through src/main/catalog/; tests that assert on stored rows
 * query them here, so no SQL statement is prepared under src/ outside the catalog.
 */

export function rows<T = Record<string, unknown>>(db: Catalog, sql: string, ...params: unknown[]): T[] {
  return db.prepare(sql).all(...params) as T[];
}

export function row<T = Record<string, unknown>>(db: Catalog, sql: string, ...params: unknown[]): T | undefined {
  return db.prepare(sql).get(...params) as T | undefined;
}

/** The first column of the first row (a count, an id). */
export function value<T = number>(db: Catalog, sql: string, ...params: unknown[]): T {
  return db.prepare(sql).pluck().get(...params) as T;
}

/** The first column of every row. */
export function values<T = unknown>(db: Catalog, sql: string, ...params: unknown[]): T[] {
  return db.prepare(sql).pluck().all(...params) as T[];
}

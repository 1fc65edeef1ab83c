import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { audit, openCatalog, schemaVersion } from '../openCatalog';
import { migrations } from '../schema';
import { createServices } from '../../services/services';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-catalog-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openCatalog', () => {
  it('creates the file owner-only, in WAL mode, with foreign keys on and every migration applied', () => {
    const file = path.join(dir, 'a', 'catalog.sqlite');
    const db = openCatalog(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o077).toBe(0);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(migrations.length);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['patients', 'studies', 'series', 'images', 'predictions', 'reviews', 'models', 'training_runs', 'audit_log']) {
      expect(tables).toContain(t);
    }
    db.close();
  });

  it('tightens an existing data folder (0755) and catalog (0644) with its WAL to owner-only at start', async () => {
    const dataDir = path.join(dir, 'loose');
    const first = createServices({ dataDir });
    first.catalog.prepare(`INSERT INTO settings (key, value) VALUES ('x', '1')`).run();
    await first.close();
    const file = path.join(dataDir, 'catalog.sqlite');
    fs.writeFileSync(`${file}-wal`, '');
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(file, 0o644);
    fs.chmodSync(`${file}-wal`, 0o644);
    const again = createServices({ dataDir });
    try {
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(`${file}-wal`).mode & 0o077).toBe(0);
    } finally {
      await again.close();
    }
  });

  it('reopens an existing catalog without re-running migrations', () => {
    const file = path.join(dir, 'b.sqlite');
    openCatalog(file).close();
    const db = openCatalog(file);
    expect(schemaVersion(db)).toBe(migrations.length);
    db.close();
  });

  it('refuses a catalog written by a newer app, naming the file', () => {
    const file = path.join(dir, 'c.sqlite');
    const db = openCatalog(file);
    db.pragma(`user_version = ${migrations.length + 5}`);
    db.close();
    expect(() => openCatalog(file)).toThrow(/c\.sqlite.*newer than this app/);
  });

  it('keeps the audit log append-only', () => {
    const db = openCatalog(path.join(dir, 'd.sqlite'));
    audit(db, { actor: 'tester', action: 'review.create', entity: 'image', entityId: 1, detail: { label: 'NORMAL' } });
    expect(() => db.prepare('UPDATE audit_log SET actor = ?').run('mallory')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM audit_log').get()).toEqual({ n: 1 });
    db.close();
  });

  it('enforces one active model at a time', () => {
    const db = openCatalog(path.join(dir, 'e.sqlite'));
    const ins = db.prepare("INSERT INTO models (id, name, version, architecture, path, card_json, is_active) VALUES (?, 'm', '1', 'compact', '/x', '{}', ?)");
    ins.run('a', 1);
    expect(() => ins.run('b', 1)).toThrow(/UNIQUE/);
    db.close();
  });
});

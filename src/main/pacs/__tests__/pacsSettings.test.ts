import { afterEach, describe, expect, it } from 'vitest';
import { tempServices } from '../../../../test/helpers/tempServices';
import { createServices } from '../../services/services';
import { pacsRequests } from '../../../shared/pacs';
import { nameUid } from '../uids';
import type { SecretStore } from '../pacsSettings';

/** A stand-in for Electron's safeStorage: reversible, and visibly not the plain text. */
const fakeKeychain: SecretStore = {
  isEncryptionAvailable: () => true,
  encryptString: (p) => Buffer.from(Buffer.from(p, 'utf8').map((b) => b ^ 0x5a)),
  decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
};

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});
const services = (secretStore?: SecretStore) => {
  const t = tempServices('cxr-pacs-settings-');
  cleanups.push(t.cleanup);
  if (!secretStore) return t;
  const s = createServices({ dataDir: t.dataDir, catalogPath: `${t.dataDir}/keychain.sqlite`, secretStore });
  cleanups.unshift(() => s.close());
  return s;
};
const catalogText = (s: ReturnType<typeof services>) => JSON.stringify([s.catalog.prepare('SELECT * FROM settings').all(), s.catalog.prepare('SELECT * FROM audit_log').all()]);

describe('PACS settings', () => {
  it('without an OS keychain keeps the password in memory only: never in the catalog, and the UI is told', async () => {
    const s = services();
    const view = await s.pacs.update({ dicomweb: { url: 'https://pacs.example.org/dicom-web', auth: 'basic', username: 'ward3', secret: 'S3cret!pw', timeoutMs: 5000 } });
    expect(view.secretStorage).toBe('memory-only');
    expect(view.dicomweb).toMatchObject({ auth: 'basic', username: 'ward3', secret: 'memory' });
    expect(catalogText(s)).not.toContain('S3cret!pw');
    expect(s.pacs.connection().server).toBe('pacs.example.org');
    // A new process (the app restarted) has no secret: a clear error, not an anonymous request.
    const again = createServices({ dataDir: s.dataDir });
    cleanups.unshift(() => again.close());
    expect(again.pacs.view().dicomweb?.secret).toBe('none');
    expect(() => again.pacs.connection()).toThrow(/kept in memory only .* enter it again/);
  });

  it("with the OS keychain stores only the keychain's ciphertext, readable by the next session", async () => {
    const s = services(fakeKeychain);
    const view = await s.pacs.update({ dicomweb: { url: 'https://pacs.example.org/dicom-web', auth: 'bearer', username: '', secret: 'tok-123456', timeoutMs: 5000 } });
    expect(view).toMatchObject({ secretStorage: 'safeStorage', dicomweb: { secret: 'saved' } });
    expect(catalogText(s)).not.toContain('tok-123456');
    const next = createServices({ dataDir: s.dataDir, catalogPath: s.catalogPath, secretStore: fakeKeychain });
    cleanups.unshift(() => next.close());
    expect(next.pacs.view().dicomweb?.secret).toBe('saved');
    // Changing the server forgets the old secret rather than sending it elsewhere.
    await next.pacs.update({ dicomweb: { url: 'https://other.example.org/dicom-web', auth: 'bearer', username: '', timeoutMs: 5000 } });
    expect(next.pacs.view().dicomweb?.secret).toBe('none');
  });

  it('refuses credentials inside the URL, a bad AE title and a bad port', () => {
    const bad = [
      { dicomweb: { url: 'https://user:pw@pacs.example.org/dicom-web' } },
      { dicomweb: { url: 'ftp://pacs.example.org' } },
      { dimse: { aet: 'WAY_TOO_LONG_AE_TITLE', host: 'pacs', port: 104 } },
      { dimse: { aet: 'BACK\\SLASH', host: 'pacs', port: 104 } },
      { receiver: { enabled: true, port: 70000 } },
    ];
    for (const b of bad) expect(pacsRequests.setSettings.safeParse(b).success, JSON.stringify(b)).toBe(false);
    expect(pacsRequests.setSettings.safeParse({ dimse: { aet: 'ORTHANC', host: '10.0.0.5', port: 4242 } }).success).toBe(true);
  });

  it('derives 2.25 UIDs from names: the same name gives the same UID, a different one another; each a valid UID', () => {
    const a = nameUid('cxr-sr', 7, 'model-a', '2026-01-01T00:00:00Z', 'unreviewed');
    expect(nameUid('cxr-sr', 7, 'model-a', '2026-01-01T00:00:00Z', 'unreviewed')).toBe(a);
    expect(nameUid('cxr-sr', 7, 'model-a', '2026-01-01T00:00:00Z', 12)).not.toBe(a);
    expect(nameUid('cxr-sr', 8, 'model-a', '2026-01-01T00:00:00Z', 'unreviewed')).not.toBe(a);
    for (let i = 0; i < 200; i++) {
      const u = nameUid('x', i);
      expect(u).toMatch(/^2\.25\.[1-9]\d*$/);
      expect(u.length).toBeLessThanOrEqual(64);
    }
  });
});

/**
 * The PACS settings row: connections, receiver and sending options, validated with zod on every
 * read and write. A password or token is never stored in plain text: with the OS keychain
 * (Electron's safeStorage, injected by the app) it is stored encrypted; without one (the CLI, the
 * tests, a Linux session without a keyring) it is kept in this process's memory only, and the UI
 * says so.
 */
import { z } from 'zod';
import type { Catalog } from '../catalog/openCatalog';
import { audit } from '../catalog/openCatalog';
import { readPacsSettingsJson, writePacsSettingsJson } from '../catalog/pacs';
import type { PacsSettingsView, pacsRequests } from '../../shared/pacs';
import { CxrError } from '../../shared/errors';
import type { DicomWebTarget } from './dicomweb';

/** Electron's safeStorage, as much of it as we use. */
export interface SecretStore {
  isEncryptionAvailable(): boolean;
  /** Linux only: 'basic_text' means no keyring, and a key built into Electron: not a keychain. */
  getSelectedStorageBackend?(): string;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export const DEFAULT_LOCAL_AET = 'CXRTRIAGE';
export const DEFAULT_RECEIVER_PORT = 11112;

const stored = z.object({
  dicomweb: z
    .object({
      url: z.string(),
      auth: z.enum(['none', 'basic', 'bearer']),
      username: z.string(),
      /** base64 of safeStorage's ciphertext; null when none is stored. */
      secretEnc: z.string().nullable(),
      timeoutMs: z.number().int().positive(),
    })
    .nullable()
    .default(null),
  dimse: z.object({ aet: z.string(), host: z.string(), port: z.number().int() }).nullable().default(null),
  localAet: z.string().default(DEFAULT_LOCAL_AET),
  receiver: z
    .object({ enabled: z.boolean(), port: z.number().int(), allowedCallingAets: z.array(z.string()) })
    .default({ enabled: false, port: DEFAULT_RECEIVER_PORT, allowedCallingAets: [] }),
  sendVia: z.enum(['dicomweb', 'dimse']).default('dicomweb'),
  sendHeatmap: z.boolean().default(false),
});
export type StoredPacsSettings = z.infer<typeof stored>;

export type PacsSettingsUpdate = z.output<(typeof pacsRequests)['setSettings']>;

/** Secrets: encrypted with the OS keychain where there is one, else held in memory only. */
export class SecretVault {
  private memory: string | null = null;

  constructor(private readonly store: SecretStore | null) {}

  get persistent(): boolean {
    try {
      if (!this.store?.isEncryptionAvailable()) return false;
      return process.platform !== 'linux' || this.store.getSelectedStorageBackend?.() !== 'basic_text';
    } catch {
      return false;
    }
  }

  /** What to store for a new secret: the ciphertext, or null (kept in memory). */
  seal(secret: string): string | null {
    if (this.persistent) {
      this.memory = null;
      return this.store!.encryptString(secret).toString('base64');
    }
    this.memory = secret;
    return null;
  }

  open(secretEnc: string | null): string | null {
    if (secretEnc && this.persistent) {
      try {
        return this.store!.decryptString(Buffer.from(secretEnc, 'base64'));
      } catch {
        // Encrypted under another OS account or keyring: as if none were stored.
        return null;
      }
    }
    return this.memory;
  }

  forget(): void {
    this.memory = null;
  }
}

export function readStoredSettings(db: Catalog): StoredPacsSettings {
  const json = readPacsSettingsJson(db);
  if (!json) return stored.parse({});
  try {
    const parsed = stored.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data;
  } catch {
    // Falls through: a damaged row reads as defaults (and is replaced on the next save).
  }
  return stored.parse({});
}

export function settingsView(s: StoredPacsSettings, vault: SecretVault): PacsSettingsView {
  const w = s.dicomweb;
  const secret = w && w.auth !== 'none' ? (w.secretEnc && vault.persistent ? 'saved' : vault.open(null) ? 'memory' : 'none') : 'none';
  return {
    dicomweb: w ? { url: w.url, auth: w.auth, username: w.username, secret, timeoutMs: w.timeoutMs } : null,
    dimse: s.dimse,
    localAet: s.localAet,
    receiver: s.receiver,
    secretStorage: vault.persistent ? 'safeStorage' : 'memory-only',
    sendVia: s.sendVia,
    sendHeatmap: s.sendHeatmap,
  };
}

/** Applies an update, audits it (without secrets) and returns the stored settings. */
export function updateSettings(db: Catalog, vault: SecretVault, req: PacsSettingsUpdate): StoredPacsSettings {
  const before = readStoredSettings(db);
  const next: StoredPacsSettings = structuredClone(before);
  if (req.dicomweb === null) {
    next.dicomweb = null;
    vault.forget();
  } else if (req.dicomweb) {
    const d = req.dicomweb;
    const sameServer = before.dicomweb?.url === d.url && before.dicomweb.auth === d.auth && before.dicomweb.username === d.username;
    let secretEnc = sameServer ? (before.dicomweb?.secretEnc ?? null) : null;
    if (!sameServer && d.secret === undefined) vault.forget();
    if (d.auth === 'none') {
      secretEnc = null;
      vault.forget();
    } else if (d.secret !== undefined) secretEnc = vault.seal(d.secret);
    next.dicomweb = { url: d.url.replace(/\/+$/, ''), auth: d.auth, username: d.auth === 'basic' ? d.username : '', secretEnc, timeoutMs: d.timeoutMs };
  }
  if (req.dimse !== undefined) next.dimse = req.dimse;
  if (req.localAet !== undefined) next.localAet = req.localAet;
  if (req.receiver !== undefined) next.receiver = req.receiver;
  if (req.sendVia !== undefined) next.sendVia = req.sendVia;
  if (req.sendHeatmap !== undefined) next.sendHeatmap = req.sendHeatmap;
  writePacsSettingsJson(db, JSON.stringify(next));
  const redact = (x: StoredPacsSettings) => ({ ...x, dicomweb: x.dicomweb ? { ...x.dicomweb, secretEnc: x.dicomweb.secretEnc ? '(encrypted)' : null } : null });
  audit(db, { actor: 'app', action: 'pacs.settings', entity: 'settings', entityId: 'pacs', detail: { before: redact(before), after: redact(next) } });
  return next;
}

/** The DICOMweb connection to use, with its secret; a clear error when it cannot be. */
export function dicomWebTarget(s: StoredPacsSettings, vault: SecretVault, override?: Partial<DicomWebTarget> & { url: string }): DicomWebTarget {
  if (override) return { auth: { kind: 'none' }, timeoutMs: s.dicomweb?.timeoutMs ?? 30_000, ...override, url: override.url.replace(/\/+$/, '') };
  const w = s.dicomweb;
  if (!w) throw new CxrError('BAD_INPUT', 'no DICOMweb server is set up: add one under Settings → PACS');
  if (w.auth === 'none') return { url: w.url, auth: { kind: 'none' }, timeoutMs: w.timeoutMs };
  const secret = vault.open(w.secretEnc);
  if (secret === null) {
    throw new CxrError(
      'BAD_INPUT',
      vault.persistent
        ? `the ${w.auth === 'basic' ? 'password' : 'token'} for the DICOMweb server is missing: enter it again under Settings → PACS`
        : `the ${w.auth === 'basic' ? 'password' : 'token'} for the DICOMweb server is kept in memory only (no OS keychain here) and was lost when the app restarted: enter it again under Settings → PACS`,
    );
  }
  return { url: w.url, auth: w.auth === 'basic' ? { kind: 'basic', username: w.username, password: secret } : { kind: 'bearer', token: secret }, timeoutMs: w.timeoutMs };
}

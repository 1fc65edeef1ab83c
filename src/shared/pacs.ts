/**
 * The PACS group of the IPC contract: connections (DICOMweb and DIMSE), query and retrieve, the
 * DICOM receiver, and results sent back as DICOM Structured Reports.
 */
import { z } from 'zod';
import type { ImportSummary } from './import';

/** What failed when a PACS exchange failed: the connection test and the UI switch on this. */
export const PACS_FAILURE_KINDS = [
  'dns',
  'refused',
  'timeout',
  'reset',
  'tls',
  'unauthorized',
  'forbidden',
  'not_found',
  'not_dicomweb',
  'malformed',
  'too_large',
  'http',
  'rejected',
  'network',
  'cancelled',
  'bad_config',
] as const;
export type PacsFailureKind = (typeof PACS_FAILURE_KINDS)[number];

const aeTitle = z
  .string()
  .trim()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'an AE title is 1-16 printable ASCII characters without a backslash');
const port = z.number().int().min(1).max(65535);
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]_-]+$/, 'a host name or IP address');
const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((u) => {
    try {
      const p = new URL(u);
      return (p.protocol === 'http:' || p.protocol === 'https:') && !p.username && !p.password;
    } catch {
      return false;
    }
  }, 'an http(s) URL without credentials in it (give them as basic or bearer auth)');

export type PacsAuthKind = 'none' | 'basic' | 'bearer';

/** Where a connection's secret (password or token) lives. */
export type SecretState =
  /** Encrypted with the OS keychain (Electron safeStorage) in the catalog. */
  | 'saved'
  /** Kept in this process's memory only, because no OS keychain is available; gone when the app closes. */
  | 'memory'
  | 'none';

/** The PACS settings as the renderer sees them: never a secret, only where it is kept. */
export interface PacsSettingsView {
  dicomweb: { url: string; auth: PacsAuthKind; username: string; secret: SecretState; timeoutMs: number } | null;
  dimse: { aet: string; host: string; port: number } | null;
  /** The AE title this workstation calls with, and listens as. */
  localAet: string;
  receiver: { enabled: boolean; port: number; allowedCallingAets: string[] };
  /** Whether secrets can be kept encrypted here (Electron safeStorage), else only in memory. */
  secretStorage: 'safeStorage' | 'memory-only';
  /** How results go back by default. */
  sendVia: 'dicomweb' | 'dimse';
  /** Also send a Secondary Capture with the heatmap burnt in. */
  sendHeatmap: boolean;
}

export interface PacsConnectionTest {
  target: 'dicomweb' | 'dimse';
  ok: boolean;
  /** What failed; absent when ok. */
  kind?: PacsFailureKind;
  /** One readable line: what was tried and what happened. */
  message: string;
  durationMs: number;
}

export interface PacsStudy {
  studyInstanceUID: string;
  patientId: string;
  patientName: string;
  studyDate: string;
  accession: string;
  description: string;
  modalities: string[];
  /** NumberOfStudyRelatedInstances, when the PACS says. */
  instances: number | null;
}

export interface PacsRetrieveProgress {
  jobId: number;
  stage: 'listing' | 'retrieving' | 'importing' | 'done';
  studies: number;
  /** Instances listed by QIDO-RS over all picked studies. */
  total: number;
  retrieved: number;
  failed: number;
  bytes: number;
}

export interface PacsRetrieveFailure {
  studyInstanceUID: string;
  sopInstanceUID: string | null;
  kind: PacsFailureKind;
  reason: string;
}

export interface PacsRetrieveSummary {
  jobId: number;
  status: 'completed' | 'cancelled' | 'failed';
  studies: number;
  listed: number;
  retrieved: number;
  bytes: number;
  failures: PacsRetrieveFailure[];
  /** The inbox folder the instances were written to. */
  inbox: string;
  /** The import pipeline's summary of the inbox, when it ran. */
  import: ImportSummary | null;
  durationMs: number;
}

export interface PacsRetrieveStatus {
  running: boolean;
  progress: PacsRetrieveProgress | null;
  last: PacsRetrieveSummary | null;
}

export interface PacsSentObject {
  imageId: number;
  kind: 'sr' | 'sc';
  sopInstanceUID: string;
  sopClassUID: string;
  studyInstanceUID: string;
}

export interface PacsSendSummary {
  via: 'dicomweb' | 'dimse';
  sent: PacsSentObject[];
  /** Images with nothing to send: no prediction, not a DICOM image. */
  skipped: { imageId: number; reason: string }[];
  failed: { imageId: number; kind: PacsFailureKind; reason: string }[];
}

export interface PacsSendRecord {
  imageId: number;
  kind: 'sr' | 'sc';
  sopInstanceUID: string;
  via: 'dicomweb' | 'dimse';
  destination: string;
  status: 'sent' | 'failed';
  error: string | null;
  at: string;
}

export interface PacsReceiverStatus {
  listening: boolean;
  aet: string;
  port: number | null;
  received: number;
  refusedAssociations: number;
  lastImport: ImportSummary | null;
  error: string | null;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const uid = z.string().regex(/^[0-9.]{1,64}$/, 'a DICOM UID');
const modality = z.string().regex(/^[A-Z]{2,3}$/, 'a modality code such as CR or DX');
const queryText = z.string().trim().max(64).regex(/^[^\\]*$/, 'no backslash');

export const pacsRequests = {
  getSettings: z.object({}).strict(),
  setSettings: z
    .object({
      /** null removes the DICOMweb connection. */
      dicomweb: z
        .object({
          url: httpUrl,
          auth: z.enum(['none', 'basic', 'bearer']).default('none'),
          username: z.string().max(256).default(''),
          /** A new password or token; absent keeps the current one. */
          secret: z.string().max(8192).optional(),
          timeoutMs: z.number().int().min(500).max(600_000).default(30_000),
        })
        .strict()
        .nullable()
        .optional(),
      dimse: z.object({ aet: aeTitle, host, port }).strict().nullable().optional(),
      localAet: aeTitle.optional(),
      receiver: z
        .object({ enabled: z.boolean(), port, allowedCallingAets: z.array(aeTitle).max(64).default([]) })
        .strict()
        .optional(),
      sendVia: z.enum(['dicomweb', 'dimse']).optional(),
      sendHeatmap: z.boolean().optional(),
    })
    .strict(),
  testConnection: z.object({ target: z.enum(['dicomweb', 'dimse']) }).strict(),
  query: z
    .object({
      patientId: queryText.optional(),
      /** Wildcards * and ? as DICOM matching allows. */
      patientName: queryText.optional(),
      accession: queryText.optional(),
      dateFrom: isoDate.optional(),
      dateTo: isoDate.optional(),
      modalities: z.array(modality).max(8).default(['CR', 'DX']),
      limit: z.number().int().min(1).max(1000).default(200),
    })
    .strict(),
  retrieve: z.object({ studyInstanceUIDs: z.array(uid).min(1).max(100) }).strict(),
  cancelRetrieve: z.object({}).strict(),
  retrieveStatus: z.object({}).strict(),
  sendResults: z
    .object({
      /** The images whose predictions to send; or every reviewed image with `allReviewed`. */
      imageIds: z.array(z.number().int().positive()).max(10_000).optional(),
      allReviewed: z.boolean().optional(),
      via: z.enum(['dicomweb', 'dimse']).optional(),
      includeHeatmap: z.boolean().optional(),
    })
    .strict()
    .refine((r) => (r.imageIds?.length ?? 0) > 0 !== (r.allReviewed === true), 'give imageIds or allReviewed: true, not both'),
  sendHistory: z.object({ imageId: z.number().int().positive() }).strict(),
  receiverStatus: z.object({}).strict(),
};

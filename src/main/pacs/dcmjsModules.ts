/**
 * dcmjs (DICOM datasets: read, write, naturalise) and dcmjs-dimse (DIMSE SCU and SCP), loaded
 * with require: both ship CommonJS/UMD bundles whose exports Node's ESM loader cannot see, and
 * dcmjs ships no types, so the parts we use are typed here.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export type NaturalDataset = Record<string, unknown>;

export interface DicomDictLike {
  meta: Record<string, unknown>;
  dict: Record<string, unknown>;
  write(opts?: Record<string, unknown>): ArrayBuffer;
}

interface DcmjsModule {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, opts?: { untilTag?: string; includeUntilTagValue?: boolean; ignoreErrors?: boolean }): DicomDictLike };
    DicomDict: new (meta: Record<string, unknown>) => DicomDictLike;
    DicomMetaDictionary: {
      naturalizeDataset(d: Record<string, unknown>): NaturalDataset;
      denaturalizeDataset(d: NaturalDataset): Record<string, unknown>;
    };
  };
  log: { setLevel(level: string): void; getLogger(name: string): { setLevel(level: string): void } };
}

export const dcmjs = require('dcmjs') as DcmjsModule;
// dcmjs reports every odd tag it reads on the console (even at error level, and its validation
// logger too); what matters is thrown, and the import reports it with the file.
dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export type Dimse = typeof import('dcmjs-dimse');
export const dimse = require('dcmjs-dimse') as Dimse;
// dcmjs-dimse logs every connection with the peer's address and, at debug, datasets (PHI): off.
dimse.log.setLevel((process.env.CXR_DIMSE_LOG ?? 'silent') as 'silent');

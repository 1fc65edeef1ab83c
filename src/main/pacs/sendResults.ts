/**
 * Sends predictions back to the PACS: a Structured Report per image (and optionally a heatmap
 * Secondary Capture), by STOW-RS or C-STORE. UIDs are derived from the prediction (its row, model,
 * time) and the review it carries, so sending the same result again sends the same objects, which
 * a PACS stores once. Every attempt is a `pacs_sends` row and an audit entry.
 */
import { renderingHashOf } from '../catalog/images';
import fs from 'node:fs';
import type { Services } from '../services/services';
import { audit, writeTransaction } from '../catalog/openCatalog';
import { operatingThreshold } from '../catalog/settings';
import { recordSend, resultSource, type ResultSource } from '../catalog/pacs';
import type { PacsSendSummary, PacsSentObject } from '../../shared/pacs';
import { readRendering } from '../renderings/renderingStore';
import { heatmapFor } from '../explain/heatmap';
import { dcmjs, type NaturalDataset } from './dcmjsModules';
import { buildStructuredReport, COMPREHENSIVE_SR, identityOf, type ReportInput } from './structuredReport';
import { buildSecondaryCapture, SECONDARY_CAPTURE } from './secondaryCapture';
import { nameUid } from './uids';
import { PacsError } from './pacsError';
import { DicomWebConnection, type DicomWebTarget } from './dicomweb';
import { cStore, describePeer, type DimsePeer } from './dimseClient';

export type SendTarget = { via: 'dicomweb'; target: DicomWebTarget } | { via: 'dimse'; localAet: string; peer: DimsePeer; timeoutMs: number };

interface Prepared {
  imageId: number;
  studyUid: string;
  src: ResultSource;
  objects: { kind: 'sr' | 'sc'; sopInstanceUid: string; sopClassUid: string; bytes: Uint8Array }[];
}

/** The source file's header (no pixel data), or null where the file is gone or unreadable. */
function readSourceHeader(file: string): NaturalDataset | null {
  try {
    const buf = fs.readFileSync(file);
    const dict = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, {
      untilTag: '7FE00010',
      includeUntilTagValue: false,
    });
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch {
    return null;
  }
}

/** The catalog's copy of the identity, for a source file that moved away. */
function identityFromCatalog(src: ResultSource): NaturalDataset {
  return identityOf({
    PatientID: src.patientKey,
    PatientName: src.patientName ? [{ Alphabetic: src.patientName }] : '',
    PatientSex: src.patientSex ?? '',
    PatientBirthDate: src.patientBirthDate ?? '',
    StudyInstanceUID: src.studyUid,
    StudyDate: src.studyDate ?? '',
    AccessionNumber: src.accession ?? '',
  });
}

function cardIdOf(cardJson: string, fallback: string): string {
  try {
    const id = (JSON.parse(cardJson) as { id?: unknown }).id;
    return typeof id === 'string' && id ? id : fallback;
  } catch {
    return fallback;
  }
}

function coverageOf(cardJson: string): number | null {
  try {
    const c = (JSON.parse(cardJson) as { conformal?: { coverage?: unknown } }).conformal?.coverage;
    return typeof c === 'number' && c > 0 && c < 1 ? c : null;
  } catch {
    return null;
  }
}

/** The UIDs of what we write for one prediction: a function of the prediction and its review only. */
export function resultUids(src: ResultSource & { prediction: NonNullable<ResultSource['prediction']> }) {
  const p = src.prediction;
  const key = [p.id, p.modelId, p.createdAt, src.review?.id ?? 'unreviewed'];
  return {
    sr: { sopInstanceUid: nameUid('cxr-sr', ...key), seriesInstanceUid: nameUid('cxr-sr-series', src.studyUid, p.modelId) },
    sc: { sopInstanceUid: nameUid('cxr-sc', ...key), seriesInstanceUid: nameUid('cxr-sc-series', src.studyUid, p.modelId) },
  };
}

async function prepare(s: Services, imageId: number, includeHeatmap: boolean): Promise<Prepared | { imageId: number; skip: string }> {
  const src = resultSource(s.catalog, imageId);
  if (!src) return { imageId, skip: 'not in the catalog' };
  if (src.fileKind !== 'dicom') return { imageId, skip: `a ${src.fileKind.toUpperCase()} file has no DICOM study to send a result to` };
  if (!src.prediction || !src.model) return { imageId, skip: 'no prediction yet' };
  const withPrediction = src as ResultSource & { prediction: NonNullable<ResultSource['prediction']> };
  const header = readSourceHeader(src.sourcePath);
  const identity = header ? identityOf(header) : identityFromCatalog(src);
  const uids = resultUids(withPrediction);
  const input: ReportInput = {
    identity,
    source: {
      sopClassUid: String(header?.SOPClassUID ?? header?.MediaStorageSOPClassUID ?? ''),
      sopInstanceUid: src.sopUid,
      seriesInstanceUid: String(header?.SeriesInstanceUID ?? src.seriesUid),
      studyInstanceUid: src.studyUid,
    },
    uids: uids.sr,
    model: { id: src.prediction.modelId, name: src.model.name, version: src.model.version, cardId: cardIdOf(src.model.cardJson, src.prediction.modelId) },
    prediction: src.prediction,
    coverage: coverageOf(src.model.cardJson),
    threshold: operatingThreshold(s.catalog),
    review: src.review,
    appVersion: s.appVersion,
  };
  if (!input.source.sopClassUid) return { imageId, skip: 'the source file is gone and the catalog does not know its SOP class' };
  const objects: Prepared['objects'] = [{ kind: 'sr', sopInstanceUid: uids.sr.sopInstanceUid, sopClassUid: COMPREHENSIVE_SR, bytes: buildStructuredReport(input) }];
  if (includeHeatmap) {
    const [gray, heat] = await Promise.all([readRendering(s.dataDir, renderingHashOf(s.catalog, imageId)), heatmapFor(s, imageId)]);
    const bytes = await buildSecondaryCapture({ ...input, uids: uids.sc }, gray, { data: heat.data, shape: heat.shape, layer: heat.layer });
    objects.push({ kind: 'sc', sopInstanceUid: uids.sc.sopInstanceUid, sopClassUid: SECONDARY_CAPTURE, bytes });
  }
  return { imageId, studyUid: src.studyUid, src, objects };
}

export async function sendResults(
  s: Services,
  imageIds: number[],
  target: SendTarget,
  opts: { includeHeatmap: boolean; signal?: AbortSignal },
): Promise<PacsSendSummary> {
  const summary: PacsSendSummary = { via: target.via, sent: [], skipped: [], failed: [] };
  const destination = target.via === 'dicomweb' ? new DicomWebConnection(target.target).server : describePeer(target.peer);
  const byStudy = new Map<string, Prepared[]>();
  for (const id of [...new Set(imageIds)]) {
    try {
      const p = await prepare(s, id, opts.includeHeatmap);
      if ('skip' in p) summary.skipped.push({ imageId: id, reason: p.skip });
      else byStudy.set(p.studyUid, [...(byStudy.get(p.studyUid) ?? []), p]);
    } catch (err) {
      summary.failed.push({ imageId: id, kind: 'bad_config', reason: `could not build the result: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  const record = (p: Prepared, o: Prepared['objects'][number], error: string | null) =>
    recordSend(s.catalog, {
      imageId: p.imageId,
      predictionId: p.src.prediction!.id,
      modelId: p.src.prediction!.modelId,
      kind: o.kind,
      sopClassUid: o.sopClassUid,
      sopInstanceUid: o.sopInstanceUid,
      studyUid: p.studyUid,
      via: target.via,
      destination,
      status: error ? 'failed' : 'sent',
      error,
    });
  for (const [studyUid, prepared] of byStudy) {
    const objects = prepared.flatMap((p) => p.objects.map((o) => ({ p, o })));
    let failedUids = new Set<string>();
    let whole: PacsError | null = null;
    try {
      if (target.via === 'dicomweb') {
        const res = await new DicomWebConnection(target.target).store(studyUid, objects.map((x) => x.o.bytes), opts.signal);
        failedUids = new Set(res.failed);
      } else {
        const res = await cStore(target.localAet, target.peer, objects.map((x) => ({ bytes: x.o.bytes, sopInstanceUid: x.o.sopInstanceUid })), target.timeoutMs);
        failedUids = new Set(res.failed.map((f) => f.sopInstanceUid));
      }
    } catch (err) {
      whole = err instanceof PacsError ? err : new PacsError('network', err instanceof Error ? err.message : String(err));
    }
    writeTransaction(s.catalog, () => {
      for (const { p, o } of objects) {
        const error = whole ? whole.message : failedUids.has(o.sopInstanceUid) ? 'the PACS reported this object as not stored' : null;
        record(p, o, error);
        if (error) {
          if (!summary.failed.some((f) => f.imageId === p.imageId)) summary.failed.push({ imageId: p.imageId, kind: whole?.kind ?? 'rejected', reason: error });
        } else {
          const sent: PacsSentObject = { imageId: p.imageId, kind: o.kind, sopInstanceUID: o.sopInstanceUid, sopClassUID: o.sopClassUid, studyInstanceUID: studyUid };
          summary.sent.push(sent);
        }
      }
      audit(s.catalog, {
        actor: 'pacs',
        action: whole ? 'pacs.send.failed' : 'pacs.send',
        entity: 'image',
        entityId: prepared.map((p) => p.imageId).join(','),
        detail: { via: target.via, destination, objects: objects.length, failed: whole ? objects.length : failedUids.size },
      });
    })();
  }
  return summary;
}

/**
 * QIDO-RS, WADO-RS and STOW-RS through dicomweb-client, with each failure turned into a
 * PacsError that says what failed (DNS, refused, timeout, 401, not a DICOMweb answer, a broken
 * multipart) and names the server by host:port only.
 */
import { api } from 'dicomweb-client';
import type { PacsFailureKind, PacsStudy } from '../../shared/pacs';
import { FetchXhr, type FetchXhrOptions } from './fetchXhr';
import { PacsError, describeServer } from './pacsError';

export interface DicomWebTarget {
  url: string;
  auth: { kind: 'none' } | { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };
  timeoutMs: number;
}

/** A DICOM JSON attribute: { vr, Value? }. */
type DicomJsonValue = { vr: string; Value?: unknown[] };
export type DicomJson = Record<string, DicomJsonValue>;

const TAG = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  PatientID: '00100020',
  PatientName: '00100010',
  StudyDate: '00080020',
  AccessionNumber: '00080050',
  StudyDescription: '00081030',
  ModalitiesInStudy: '00080061',
  NumberOfStudyRelatedInstances: '00201208',
} as const;

function str(j: DicomJson, tag: string): string {
  const v = j[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic?: string }).Alphabetic ?? '');
  return String(v);
}

/** Instances a retrieve is allowed per answer: one instance, bounded so a broken PACS cannot fill memory. */
const MAX_INSTANCE_BYTES = 1 << 30;

export interface StudyQuery {
  patientId?: string;
  patientName?: string;
  accession?: string;
  dateFrom?: string;
  dateTo?: string;
  modalities: string[];
  limit: number;
}

export interface InstanceRef {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  sopClassUID: string;
}

interface MultipartGetter {
  _httpGetMultipartApplicationDicom(url: string, mediaTypes: object[], params: object, request: object): Promise<ArrayBuffer[] | undefined>;
}

export class DicomWebConnection {
  private readonly client: InstanceType<typeof api.DICOMwebClient> & { wadoURL: string };
  readonly server: string;

  constructor(private readonly target: DicomWebTarget) {
    this.server = describeServer(target.url);
    const headers: Record<string, string> = {};
    if (target.auth.kind === 'basic') headers.Authorization = `Basic ${Buffer.from(`${target.auth.username}:${target.auth.password}`).toString('base64')}`;
    if (target.auth.kind === 'bearer') headers.Authorization = `Bearer ${target.auth.token}`;
    this.client = new api.DICOMwebClient({ url: target.url.replace(/\/+$/, ''), headers, verbose: false, singlepart: false }) as typeof this.client;
    // dicomweb-client logs every failed request with the request object (URLs, headers) to the
    // console unless told otherwise; errors are ours to report.
    (this.client as unknown as { errorInterceptor: (e: unknown) => void }).errorInterceptor = () => {};
  }

  private xhr(opts: Partial<FetchXhrOptions> = {}): FetchXhr {
    return new FetchXhr({ idleTimeoutMs: this.target.timeoutMs, ...opts });
  }

  /** Runs one dicomweb-client call with a fresh transport, and turns its failure into a PacsError. */
  private async call<T>(what: string, xhr: FetchXhr, run: (request: { instance: unknown }) => Promise<T> | T): Promise<T> {
    try {
      return await Promise.race([run({ instance: xhr }), xhr.handlerFailed]);
    } catch (err) {
      throw this.failure(what, xhr, err);
    }
  }

  failure(what: string, xhr: FetchXhr, err: unknown): PacsError {
    const at = `${what} at ${this.server}`;
    if (xhr.failure) {
      const f = xhr.failure;
      const kind: PacsFailureKind = f.kind === 'reset' && f.bytes > 0 ? 'reset' : f.kind;
      const hint =
        f.kind === 'timeout' ? `: no answer within ${(this.target.timeoutMs / 1000).toFixed(1)} s` : f.kind === 'cancelled' ? '' : `: ${f.message}`;
      return new PacsError(kind, `${at} failed${hint}`);
    }
    const status = (err as { status?: number })?.status ?? xhr.status;
    if (status === 401) return new PacsError('unauthorized', `${at} failed: HTTP 401, the server wants (other) credentials`);
    if (status === 403) return new PacsError('forbidden', `${at} failed: HTTP 403, these credentials may not do this`);
    // A search refused outright: the URL is a web server, but not a DICOMweb root.
    if (what === 'the study search' && [400, 404, 405, 406].includes(status)) return new PacsError('not_dicomweb', `${at} failed: HTTP ${status}, this is not a DICOMweb root (is the URL the server's DICOMweb path, e.g. …/dicom-web?)`);
    if (status === 404) return new PacsError('not_found', `${at} failed: HTTP 404, no such resource`);
    if (status && status >= 400) return new PacsError('http', `${at} failed: HTTP ${status}`);
    const message = err instanceof Error ? err.message : String(err);
    if (/multipart|boundary|mime header/i.test(message)) return new PacsError('malformed', `${at}: the answer is not a well-formed multipart message (${message})`);
    return new PacsError('network', `${at} failed: ${message}`);
  }

  /** QIDO-RS: studies matching the query, with their modalities and instance counts. */
  async searchStudies(q: StudyQuery, signal?: AbortSignal): Promise<PacsStudy[]> {
    const queryParams: Record<string, string> = {
      limit: String(q.limit),
      includefield: [TAG.ModalitiesInStudy, TAG.NumberOfStudyRelatedInstances, TAG.StudyDescription, TAG.AccessionNumber].join(','),
    };
    if (q.patientId) queryParams.PatientID = q.patientId;
    if (q.patientName) queryParams.PatientName = q.patientName;
    if (q.accession) queryParams.AccessionNumber = q.accession;
    if (q.dateFrom || q.dateTo) queryParams.StudyDate = `${(q.dateFrom ?? '').replace(/-/g, '')}-${(q.dateTo ?? '').replace(/-/g, '')}`;
    // One query per modality: multi-valued ModalitiesInStudy matching is not supported alike by all PACS.
    const modalities = q.modalities.length ? q.modalities : [null];
    const byUid = new Map<string, PacsStudy>();
    for (const m of modalities) {
      const params = m ? { ...queryParams, ModalitiesInStudy: m } : queryParams;
      const xhr = this.xhr({ signal });
      const rows = await this.call('the study search', xhr, (request) => this.client.searchForStudies({ queryParams: params, request } as never));
      for (const j of this.jsonList(rows, xhr, 'the study search')) {
        const uid = str(j, TAG.StudyInstanceUID);
        if (!uid || byUid.has(uid)) continue;
        const n = Number(str(j, TAG.NumberOfStudyRelatedInstances));
        byUid.set(uid, {
          studyInstanceUID: uid,
          patientId: str(j, TAG.PatientID),
          patientName: str(j, TAG.PatientName),
          studyDate: str(j, TAG.StudyDate),
          accession: str(j, TAG.AccessionNumber),
          description: str(j, TAG.StudyDescription),
          modalities: (j[TAG.ModalitiesInStudy]?.Value ?? []).map(String),
          instances: Number.isFinite(n) && str(j, TAG.NumberOfStudyRelatedInstances) !== '' ? n : null,
        });
      }
    }
    return [...byUid.values()].sort((a, b) => (b.studyDate + b.studyInstanceUID).localeCompare(a.studyDate + a.studyInstanceUID)).slice(0, q.limit);
  }

  /** QIDO-RS: every instance of a study (paged, so a large study is listed whole). */
  async searchInstances(studyInstanceUID: string, signal?: AbortSignal): Promise<InstanceRef[]> {
    const out: InstanceRef[] = [];
    const page = 1000;
    for (let offset = 0; ; offset += page) {
      const xhr = this.xhr({ signal });
      const rows = await this.call('the instance list', xhr, (request) =>
        this.client.searchForInstances({ studyInstanceUID, queryParams: { limit: String(page), offset: String(offset) }, request } as never),
      );
      const list = this.jsonList(rows, xhr, 'the instance list');
      for (const j of list) {
        const sop = str(j, TAG.SOPInstanceUID);
        if (!sop) continue;
        out.push({ studyInstanceUID, seriesInstanceUID: str(j, TAG.SeriesInstanceUID), sopInstanceUID: sop, sopClassUID: str(j, TAG.SOPClassUID) });
      }
      if (list.length < page) break;
    }
    return out;
  }

  /** WADO-RS: one instance as Part 10 bytes. One at a time keeps memory to one instance. */
  async retrieveInstance(ref: InstanceRef, opts: { signal?: AbortSignal; onBytes?(n: number): void } = {}): Promise<Uint8Array> {
    const xhr = this.xhr({ signal: opts.signal, onBytes: opts.onBytes, maxBytes: MAX_INSTANCE_BYTES });
    const url = `${this.client.wadoURL}/studies/${ref.studyInstanceUID}/series/${ref.seriesInstanceUID}/instances/${ref.sopInstanceUID}`;
    // As stored (transfer-syntax=*): the standard's default, explicit VR little endian, would make
    // the PACS transcode every compressed film (Orthanc refuses JPEG 2000 without its plugin).
    // retrieveInstance() cannot ask for that in 0.11.3 (its _getCommonMediaType returns
    // 'application/' and then refuses it), so this calls the method it would have called.
    const mediaTypes = [{ mediaType: 'application/dicom', transferSyntaxUID: '*' }];
    const parts = await this.call('retrieving an instance', xhr, (request) =>
      (this.client as unknown as MultipartGetter)._httpGetMultipartApplicationDicom(url, mediaTypes, {}, request),
    );
    const part = Array.isArray(parts) ? parts[0] : undefined;
    const type = xhr.getResponseHeader('content-type') ?? '';
    if (!/multipart\/related/i.test(type)) {
      throw new PacsError('not_dicomweb', `retrieving an instance at ${this.server}: the answer is ${type || 'untyped'}, not multipart/related`);
    }
    if (!part || !((part as unknown) instanceof ArrayBuffer) || (part as ArrayBuffer).byteLength === 0) {
      throw new PacsError('malformed', `retrieving an instance at ${this.server}: the multipart answer holds no complete part`);
    }
    return new Uint8Array(part as ArrayBuffer);
  }

  /** STOW-RS: stores Part 10 objects in a study; returns the SOP Instance UIDs the PACS reports as failed. */
  async store(studyInstanceUID: string, datasets: Uint8Array[], signal?: AbortSignal): Promise<{ failed: string[] }> {
    const xhr = this.xhr({ signal });
    xhr.responseType = 'json';
    const buffers = datasets.map((d) => d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    const res = await this.call('storing results', xhr, (request) => this.client.storeInstances({ datasets: buffers, studyInstanceUID, request } as never));
    const body = (typeof res === 'string' ? safeJson(res) : res) as DicomJson | null;
    const failedSeq = (body?.['00081198']?.Value ?? []) as DicomJson[];
    return { failed: failedSeq.map((j) => str(j, '00081155')).filter(Boolean) };
  }

  /** Checks the answer of a QIDO-RS search is DICOM JSON (a list of objects). */
  private jsonList(rows: unknown, xhr: FetchXhr, what: string): DicomJson[] {
    if (xhr.status === 204) return [];
    const type = xhr.getResponseHeader('content-type') ?? '';
    const objects = Array.isArray(rows) && rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r));
    if (xhr.jsonError || !objects || !/json/i.test(type)) {
      throw new PacsError('not_dicomweb', `${what} at ${this.server}: the answer is ${type || 'untyped'}${xhr.jsonError ? ' that does not parse as JSON' : ''}, not a DICOM JSON list (is the URL the DICOMweb root?)`);
    }
    return rows as DicomJson[];
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/**
 * One prediction as a DICOM Comprehensive SR (written with dcmjs), so the PACS viewer shows it
 * beside the film: it keeps the source's patient and study identity (it lands in the same study),
 * references the source image by SOP Class and Instance UID, and carries the model (name,
 * version, card id), the three calibrated probabilities with their 95 % bands, the conformal set,
 * the operating point, the clinician's review if any, and the research-use caption.
 *
 * Concepts come from DCM where one fits (Algorithm Name 111001, Findings 121070 …); ours use the
 * local coding scheme 99CXR (PS3.3 8.2: "99" designators are private).
 */
import { LABELS, LABEL_NAMES, type Label } from '../../shared/labels';
import { dcmjs, type NaturalDataset } from './dcmjsModules';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION } from './part10Header';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';
export const RESEARCH_CAPTION = 'Research use only, not a diagnostic device';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

type Code = [value: string, scheme: string, meaning: string];
const code = ([CodeValue, CodingSchemeDesignator, CodeMeaning]: Code) => ({ CodeValue, CodingSchemeDesignator, CodeMeaning });

const C = {
  report: ['18748-4', 'LN', 'Diagnostic imaging report'],
  observerType: ['121005', 'DCM', 'Observer Type'],
  device: ['121007', 'DCM', 'Device'],
  deviceUid: ['121012', 'DCM', 'Device Observer UID'],
  deviceName: ['121013', 'DCM', 'Device Observer Name'],
  algorithmName: ['111001', 'DCM', 'Algorithm Name'],
  algorithmVersion: ['111003', 'DCM', 'Algorithm Version'],
  modelCard: ['model-card', '99CXR', 'Model card id'],
  comment: ['121106', 'DCM', 'Comment'],
  source: ['121112', 'DCM', 'Source of Measurement'],
  findings: ['121070', 'DCM', 'Findings'],
  probability: ['probability', '99CXR', 'Calibrated probability'],
  bandLow: ['band-low', '99CXR', '95 % band, lower bound'],
  bandHigh: ['band-high', '99CXR', '95 % band, upper bound'],
  predicted: ['predicted', '99CXR', 'Most probable class'],
  conformalSet: ['conformal-set', '99CXR', 'Conformal prediction set'],
  threshold: ['threshold', '99CXR', 'COVID-19 operating threshold'],
  flagged: ['flagged', '99CXR', 'Flagged for review (COVID-19 at or above the threshold)'],
  quality: ['quality', '99CXR', 'Quality flags'],
  review: ['review', '99CXR', 'Clinician review'],
  reviewer: ['reviewer', '99CXR', 'Reviewer'],
  reviewLabel: ['review-label', '99CXR', "Reviewer's class"],
  agrees: ['agrees', '99CXR', 'Agrees with the model'],
  reviewTime: ['review-time', '99CXR', 'Review date and time'],
  yes: ['373066001', 'SCT', 'Yes'],
  no: ['373067005', 'SCT', 'No'],
  percent: ['%', 'UCUM', 'percent'],
} satisfies Record<string, Code>;
const CLASS_CODES: Record<Label, Code> = {
  COVID19: ['COVID19', '99CXR', LABEL_NAMES.COVID19],
  NORMAL: ['NORMAL', '99CXR', LABEL_NAMES.NORMAL],
  PNEUMONIA: ['PNEUMONIA', '99CXR', LABEL_NAMES.PNEUMONIA],
};

type Item = NaturalDataset;
const rel = (RelationshipType: string, item: Item): Item => ({ RelationshipType, ...item });
const text = (concept: Code, value: string): Item => ({ ValueType: 'TEXT', ConceptNameCodeSequence: [code(concept)], TextValue: value });
const codeItem = (concept: Code, value: Code): Item => ({ ValueType: 'CODE', ConceptNameCodeSequence: [code(concept)], ConceptCodeSequence: [code(value)] });
const uidref = (concept: Code, value: string): Item => ({ ValueType: 'UIDREF', ConceptNameCodeSequence: [code(concept)], UID: value });
const percent = (concept: Code, p: number): Item => ({
  ValueType: 'NUM',
  ConceptNameCodeSequence: [code(concept)],
  MeasuredValueSequence: [{ NumericValue: (100 * p).toFixed(1), MeasurementUnitsCodeSequence: [code(C.percent)] }],
});
const container = (concept: Code, children: Item[]): Item => ({
  ValueType: 'CONTAINER',
  ConceptNameCodeSequence: [code(concept)],
  ContinuityOfContent: 'SEPARATE',
  ContentSequence: children,
});

/** DICOM DA/TM/DT from an ISO time. */
export function dicomDateTime(iso: string): { date: string; time: string } {
  const d = new Date(iso);
  const t = Number.isNaN(d.getTime()) ? new Date(0) : d;
  const s = t.toISOString();
  return { date: s.slice(0, 10).replace(/-/g, ''), time: s.slice(11, 19).replace(/:/g, '') };
}

/** The source's identity attributes that make a derived object land in the same patient and study. */
const IDENTITY = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
  'StudyDescription',
] as const;

export function identityOf(source: NaturalDataset): NaturalDataset {
  const out: NaturalDataset = {};
  for (const k of IDENTITY) if (source[k] !== undefined) out[k] = source[k];
  // Type 2: present even when empty.
  for (const k of ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber'])
    out[k] ??= '';
  return out;
}

export interface ReportInput {
  /** The source's identity attributes (identityOf). */
  identity: NaturalDataset;
  source: { sopClassUid: string; sopInstanceUid: string; seriesInstanceUid: string; studyInstanceUid: string };
  uids: { sopInstanceUid: string; seriesInstanceUid: string };
  model: { id: string; name: string; version: string; cardId: string };
  prediction: {
    predicted: Label;
    probs: Record<Label, number>;
    band: Partial<Record<Label, { lo: number; hi: number }>>;
    set: Label[];
    quality: string[];
    createdAt: string;
  };
  coverage: number | null;
  threshold: { value: number; source: string };
  review: { reviewer: string; label: Label; agreesWithModel: boolean | null; at: string } | null;
  appVersion: string;
}

function hasNonAscii(v: unknown): boolean {
  if (typeof v === 'string') return [...v].some((c) => c.charCodeAt(0) > 0x7f);
  if (Array.isArray(v)) return v.some(hasNonAscii);
  if (v && typeof v === 'object' && !(v instanceof ArrayBuffer) && !ArrayBuffer.isView(v)) return Object.values(v).some(hasNonAscii);
  return false;
}

/** Part 10 bytes of a dataset with its file meta (explicit VR little endian). */
export function writePart10(input: NaturalDataset): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  // dcmjs writes strings as UTF-8: declare it only where a string needs it (a reviewer's or a
  // patient's name); plain ASCII keeps the default repertoire that every reader checks.
  const dataset = hasNonAscii(input) ? { SpecificCharacterSet: 'ISO_IR 192', ...input } : input;
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_LE,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION,
  });
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write({ allowInvalidVRLength: false }));
}

/** The common parts of what we write: identity, equipment, dates, our UIDs. */
export function derivedObjectBase(input: Pick<ReportInput, 'identity' | 'uids' | 'appVersion' | 'prediction'>, sopClassUid: string, modality: string, seriesNumber: number, seriesDescription: string): NaturalDataset {
  const when = dicomDateTime(input.prediction.createdAt);
  return {
    ...input.identity,
    SOPClassUID: sopClassUid,
    SOPInstanceUID: input.uids.sopInstanceUid,
    // Dated by the prediction, not the send: the same prediction is the same object, byte for byte.
    InstanceCreationDate: when.date,
    InstanceCreationTime: when.time,
    ContentDate: when.date,
    ContentTime: when.time,
    Modality: modality,
    SeriesInstanceUID: input.uids.seriesInstanceUid,
    SeriesNumber: seriesNumber,
    SeriesDescription: seriesDescription,
    InstanceNumber: 1,
    Manufacturer: 'CXR Triage (research software)',
    ManufacturerModelName: 'CXR Triage',
    SoftwareVersions: input.appVersion,
  };
}

export function buildStructuredReport(input: ReportInput): Uint8Array {
  const p = input.prediction;
  const classes = LABELS.map((l) => {
    const band = p.band[l] ?? { lo: p.probs[l], hi: p.probs[l] };
    return rel(
      'CONTAINS',
      container(CLASS_CODES[l], [rel('CONTAINS', percent(C.probability, p.probs[l])), rel('CONTAINS', percent(C.bandLow, band.lo)), rel('CONTAINS', percent(C.bandHigh, band.hi))]),
    );
  });
  const coverage = input.coverage === null ? 'uncalibrated coverage' : `${Math.round(100 * input.coverage)} % coverage`;
  const setText = p.set.length ? p.set.map((l) => LABEL_NAMES[l]).join(', ') : '(empty)';
  const flagged = p.probs.COVID19 >= input.threshold.value;
  const findings = container(C.findings, [
    rel('CONTAINS', codeItem(C.predicted, CLASS_CODES[p.predicted])),
    ...classes,
    rel('CONTAINS', text(C.conformalSet, `${setText} (${coverage})`)),
    rel('CONTAINS', percent(C.threshold, input.threshold.value)),
    rel('CONTAINS', text(C.comment, `Operating threshold from the ${input.threshold.source}`)),
    rel('CONTAINS', codeItem(C.flagged, flagged ? C.yes : C.no)),
    ...(p.quality.length ? [rel('CONTAINS', text(C.quality, p.quality.join(', ')))] : []),
  ]);
  const r = input.review;
  const review = r
    ? container(C.review, [
        rel('CONTAINS', text(C.reviewer, r.reviewer)),
        rel('CONTAINS', codeItem(C.reviewLabel, CLASS_CODES[r.label])),
        ...(r.agreesWithModel === null ? [] : [rel('CONTAINS', codeItem(C.agrees, r.agreesWithModel ? C.yes : C.no))]),
        rel('CONTAINS', { ValueType: 'DATETIME', ConceptNameCodeSequence: [code(C.reviewTime)], DateTime: `${dicomDateTime(r.at).date}${dicomDateTime(r.at).time}` }),
      ])
    : container(C.review, [rel('CONTAINS', text(C.comment, 'Not reviewed by a clinician'))]);
  const ref = { ReferencedSOPClassUID: input.source.sopClassUid, ReferencedSOPInstanceUID: input.source.sopInstanceUid };
  const root: NaturalDataset = {
    ...container(C.report, [
      rel('HAS OBS CONTEXT', codeItem(C.observerType, C.device)),
      rel('HAS OBS CONTEXT', uidref(C.deviceUid, IMPLEMENTATION_CLASS_UID)),
      rel('HAS OBS CONTEXT', text(C.deviceName, 'CXR Triage')),
      rel('CONTAINS', text(C.comment, RESEARCH_CAPTION)),
      rel('CONTAINS', text(C.algorithmName, input.model.name)),
      rel('CONTAINS', text(C.algorithmVersion, input.model.version)),
      rel('CONTAINS', text(C.modelCard, input.model.cardId)),
      rel('CONTAINS', { ValueType: 'IMAGE', ConceptNameCodeSequence: [code(C.source)], ReferencedSOPSequence: [ref] }),
      rel('CONTAINS', findings),
      rel('CONTAINS', review),
    ]),
  };
  const dataset: NaturalDataset = {
    ...derivedObjectBase(input, COMPREHENSIVE_SR, 'SR', 9701, `CXR Triage AI result (${RESEARCH_CAPTION.toLowerCase()})`),
    ReferencedPerformedProcedureStepSequence: [],
    PerformedProcedureCodeSequence: [],
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: input.source.studyInstanceUid,
        ReferencedSeriesSequence: [{ SeriesInstanceUID: input.source.seriesInstanceUid, ReferencedSOPSequence: [ref] }],
      },
    ],
    ...root,
  };
  return writePart10(dataset);
}

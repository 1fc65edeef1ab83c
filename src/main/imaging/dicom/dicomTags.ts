import type { DataSet } from 'dicom-parser';
import { transferSyntaxOf } from './parseDicom';

/** The tags import records and screens on. Strings are trimmed; absent tags are undefined. */
export interface DicomTags {
  patientId?: string;
  patientName?: string;
  sex?: string;
  age?: string;
  birthDate?: string;
  studyUid?: string;
  studyDate?: string;
  studyDescription?: string;
  accession?: string;
  seriesUid?: string;
  sopUid?: string;
  sopClassUid?: string;
  mediaStorageSopClassUid?: string;
  modality?: string;
  bodyPart?: string;
  viewPosition?: string;
  manufacturer?: string;
  photometric?: string;
  rows?: number;
  cols?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: number;
  samplesPerPixel?: number;
  planarConfiguration?: number;
  frames: number;
  pixelSpacing?: string;
  transferSyntax: string;
  hasPixelData: boolean;
  /** Float (7FE0,0008) or Double Float (7FE0,0009) Pixel Data: parametric maps, not radiographs. */
  floatPixelData?: 'float' | 'double';
}

function str(ds: DataSet, tag: string): string | undefined {
  const v = ds.string(tag);
  const t = v?.replace(/\0/g, '').trim();
  return t ? t : undefined;
}

/** All values of a backslash-separated string element, as written. */
function multi(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return undefined;
  const n = ds.numStringValues(tag) ?? 1;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push((ds.string(tag, i) ?? '').trim());
  return parts.join('\\');
}

export function readDicomTags(ds: DataSet): DicomTags {
  return {
    patientId: str(ds, 'x00100020'),
    patientName: str(ds, 'x00100010'),
    sex: str(ds, 'x00100040'),
    age: str(ds, 'x00101010'),
    birthDate: str(ds, 'x00100030'),
    studyUid: str(ds, 'x0020000d'),
    studyDate: str(ds, 'x00080020'),
    studyDescription: str(ds, 'x00081030'),
    accession: str(ds, 'x00080050'),
    seriesUid: str(ds, 'x0020000e'),
    sopUid: str(ds, 'x00080018'),
    sopClassUid: str(ds, 'x00080016'),
    mediaStorageSopClassUid: str(ds, 'x00020002'),
    modality: str(ds, 'x00080060')?.toUpperCase(),
    bodyPart: str(ds, 'x00180015')?.toUpperCase(),
    viewPosition: str(ds, 'x00185101')?.toUpperCase(),
    manufacturer: str(ds, 'x00080070'),
    photometric: str(ds, 'x00280004')?.toUpperCase(),
    rows: ds.uint16('x00280010'),
    cols: ds.uint16('x00280011'),
    bitsAllocated: ds.uint16('x00280100'),
    bitsStored: ds.uint16('x00280101'),
    highBit: ds.uint16('x00280102'),
    pixelRepresentation: ds.uint16('x00280103'),
    samplesPerPixel: ds.uint16('x00280002'),
    planarConfiguration: ds.uint16('x00280006'),
    frames: Math.max(1, ds.intString('x00280008') ?? 1),
    pixelSpacing: multi(ds, 'x00280030') ?? multi(ds, 'x00181164'),
    transferSyntax: transferSyntaxOf(ds),
    hasPixelData: ds.elements.x7fe00010 !== undefined,
    floatPixelData: ds.elements.x7fe00008 ? 'float' : ds.elements.x7fe00009 ? 'double' : undefined,
  };
}

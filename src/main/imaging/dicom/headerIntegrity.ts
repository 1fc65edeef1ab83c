import type { DataSet } from 'dicom-parser';
import type { DicomTags } from './dicomTags';

/** Type 1 attributes every image object carries (PS3.3 SOP Common, General Study/Series, Image Pixel). */
const MANDATORY: [keyof DicomTags, string][] = [
  ['sopClassUid', 'SOP Class UID (0008,0016)'],
  ['sopUid', 'SOP Instance UID (0008,0018)'],
  ['studyUid', 'Study Instance UID (0020,000D)'],
  ['seriesUid', 'Series Instance UID (0020,000E)'],
  ['modality', 'Modality (0008,0060)'],
];
const MANDATORY_PIXEL: [keyof DicomTags, string][] = [
  ['rows', 'Rows (0028,0010)'],
  ['cols', 'Columns (0028,0011)'],
  ['bitsAllocated', 'Bits Allocated (0028,0100)'],
  ['samplesPerPixel', 'Samples per Pixel (0028,0002)'],
  ['photometric', 'Photometric Interpretation (0028,0004)'],
];

/**
 * What is wrong with a DICOM header that still parses: a File Meta group length that does not
 * match the group, mandatory attributes missing, a meta SOP Instance UID that differs from the
 * dataset's. Empty for a clean header. Used to tell a good file from a damaged copy of it.
 */
export function headerProblems(ds: DataSet, tags: DicomTags): string[] {
  const problems: string[] = [];
  const groupLength = ds.elements.x00020000;
  if (groupLength) {
    let metaEnd = 0;
    for (const [tag, el] of Object.entries(ds.elements)) if (tag.startsWith('x0002')) metaEnd = Math.max(metaEnd, el.dataOffset + el.length);
    const declared = groupLength.length === 4 ? ds.uint32('x00020000') : undefined;
    const actual = metaEnd - (groupLength.dataOffset + groupLength.length);
    if (declared !== actual) problems.push(`File Meta group length says ${declared ?? 'nothing readable'}, the group holds ${actual} bytes`);
  }
  const missing = [...MANDATORY, ...(tags.hasPixelData ? MANDATORY_PIXEL : [])].filter(([k]) => tags[k] === undefined).map(([, name]) => name);
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`);
  const metaSop = ds.string('x00020003')?.replace(/\0/g, '').trim();
  if (metaSop && tags.sopUid && metaSop !== tags.sopUid) problems.push('the File Meta SOP Instance UID differs from the dataset’s');
  return problems;
}

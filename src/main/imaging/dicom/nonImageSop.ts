/**
 * SOP classes that carry no image for the model: structured reports, presentation states,
 * encapsulated documents, raw data and registrations, RT objects other than the RT Image (plans,
 * doses, structure sets, treatment records), waveforms, parametric maps (float pixel data),
 * protocols and palettes, and the DICOMDIR. Screening excludes them as `non_image_sop`; the
 * parser keeps a cut-short dataset of one of these so that it is screened rather than refused.
 */
const NON_IMAGE_SOP_PREFIXES = [
  '1.2.840.10008.5.1.4.1.1.88', // SR documents (incl. key object selection)
  '1.2.840.10008.5.1.4.1.1.11', // presentation states
  '1.2.840.10008.5.1.4.1.1.104', // encapsulated PDF/CDA/STL
  '1.2.840.10008.5.1.4.1.1.66', // raw data, spatial registration, segmentation
  '1.2.840.10008.5.1.4.1.1.67', // real world value mapping
  '1.2.840.10008.5.1.4.1.1.68', // surface segmentation, surface scans
  '1.2.840.10008.5.1.4.1.1.9', // waveforms (ECG, audio …)
  '1.2.840.10008.5.1.4.1.1.30', // parametric map (float pixel data)
  '1.2.840.10008.5.1.4.1.1.200', // protocols
  '1.2.840.10008.5.1.4.34', // RT second generation
  '1.2.840.10008.5.1.4.38', // hanging protocols
  '1.2.840.10008.5.1.4.39', // colour palettes
  '1.2.840.10008.1.3.10', // DICOMDIR
];
/** RT objects: 481.1 is the RT Image (a radiograph of sorts); every other 481.x carries no image. */
const RT_PREFIX = '1.2.840.10008.5.1.4.1.1.481.';
const RT_IMAGE = '1.2.840.10008.5.1.4.1.1.481.1';

export function isNonImageSopClass(uid: string): boolean {
  if (uid.startsWith(RT_PREFIX)) return uid !== RT_IMAGE;
  return NON_IMAGE_SOP_PREFIXES.some((p) => uid === p || uid.startsWith(`${p}.`));
}

/** Said of an object whose pixels are Float or Double Float Pixel Data (no integer Pixel Data). */
export function floatPixelDataDetail(kind: 'float' | 'double'): string {
  return `${kind === 'float' ? 'Float' : 'Double Float'} Pixel Data (a parametric map or other computed image): not a radiograph`;
}

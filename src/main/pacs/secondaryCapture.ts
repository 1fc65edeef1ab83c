/**
 * The optional Secondary Capture: the image as the model saw it with the Grad-CAM heatmap and a
 * caption burnt in (class, probability, the research-use line), in the source's study, for PACS
 * viewers that show images but not Structured Reports.
 */
import sharp from 'sharp';
import { LABEL_NAMES } from '../../shared/labels';
import type { Heatmap } from '../explain/gradCam';
import { renderHeatmapPng, type GrayImage } from '../explain/overlay';
import { derivedObjectBase, RESEARCH_CAPTION, writePart10, type ReportInput } from './structuredReport';

export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

const xmlEscape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function buildSecondaryCapture(input: ReportInput, gray: GrayImage, heatmap: Heatmap): Promise<Uint8Array> {
  const png = await renderHeatmapPng(gray, heatmap);
  const { width, height } = gray;
  const p = input.prediction;
  const band = p.band[p.predicted];
  const lines = [
    `${LABEL_NAMES[p.predicted]} ${(100 * p.probs[p.predicted]).toFixed(1)} %${band ? ` (95 % band ${(100 * band.lo).toFixed(0)}-${(100 * band.hi).toFixed(0)} %)` : ''}`,
    `${input.model.name} ${input.model.version}`.slice(0, 70),
    `Heatmap: where the model looked. ${RESEARCH_CAPTION}.`,
  ];
  // Sized so the longest line (the caption, 75 characters) fits the width.
  const size = Math.max(9, Math.floor(width / 44));
  const banner = Math.round(size * 4.4);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${banner}">
    <rect width="100%" height="100%" fill="black" fill-opacity="0.7"/>
    ${lines
      .map((l, i) => `<text x="${size / 2}" y="${size * (1.2 + 1.35 * i)}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="${i === 2 ? '#ffb000' : 'white'}">${xmlEscape(l)}</text>`)
      .join('\n')}
  </svg>`;
  const rgb = await sharp(png)
    .composite([{ input: Buffer.from(svg), top: Math.max(0, height - banner), left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer();
  const dataset = {
    ...derivedObjectBase(input, SECONDARY_CAPTURE, 'OT', 9702, `CXR Triage heatmap (${RESEARCH_CAPTION.toLowerCase()})`),
    ConversionType: 'WSD',
    ImageType: ['DERIVED', 'SECONDARY'],
    BurnedInAnnotation: 'YES',
    DerivationDescription: `Grad-CAM heatmap of the ${LABEL_NAMES[p.predicted]} class over the image the model saw; ${RESEARCH_CAPTION}`,
    ImageComments: RESEARCH_CAPTION,
    SourceImageSequence: [{ ReferencedSOPClassUID: input.source.sopClassUid, ReferencedSOPInstanceUID: input.source.sopInstanceUid }],
    PatientOrientation: '',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: height,
    Columns: width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [rgb.buffer.slice(rgb.byteOffset, rgb.byteOffset + rgb.byteLength)],
    _vrMap: { PixelData: 'OB' },
  };
  return writePart10(dataset);
}

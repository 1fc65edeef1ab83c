import fs from 'node:fs';
import sharp from 'sharp';
import { CxrError } from '../../../shared/errors';
import { LABELS, type Label } from '../../../shared/labels';
import type { DicomTag, ImagePixels, PredictionDetail } from '../../../shared/image';
import { parseBands, worklistRow } from '../../catalog/worklist';
import { reviewHistory } from '../../catalog/reviews';
import type { Catalog } from '../../catalog/openCatalog';
import { imageRow, studyImageIds, type ImageRow } from '../../catalog/images';
import type { Services } from '../../services/services';
import { readRendering, renderingPath, thumbnailPath } from '../../renderings/renderingStore';
import { currentPredictionRow } from '../../catalog/predictions';
import type { GroupImpl } from './types';

/** The viewer's longest side; renderings are stored at about this size. */
const VIEW_MAX = 1024;

/**
 * Raster originals of rows written without a rendering (synthetic catalogs) are shown through
 * sharp; everything import wrote is read from its stored rendering.
 */
function rasterFallback(row: ImageRow): string {
  if (row.file_kind !== 'dicom' && fs.existsSync(row.source_path)) return row.source_path;
  throw new CxrError('NOT_FOUND', `image ${row.id} has no rendering to show`);
}

/** The normalised rendering import stored (the pixels the model saw), longest side ≤ 1024. */
async function viewPixels(s: Services, row: ImageRow): Promise<ImagePixels> {
  if (row.rendering_hash && fs.existsSync(renderingPath(s.dataDir, row.rendering_hash))) {
    const r = await readRendering(s.dataDir, row.rendering_hash);
    return { imageId: row.id, width: r.width, height: r.height, pixels: r.data };
  }
  return greyPixels(rasterFallback(row), row.id, VIEW_MAX);
}

async function thumbnailPixels(s: Services, row: ImageRow, size: number): Promise<ImagePixels> {
  const thumb = row.rendering_hash ? thumbnailPath(s.dataDir, row.rendering_hash) : null;
  const rendering = row.rendering_hash ? renderingPath(s.dataDir, row.rendering_hash) : null;
  const file = [thumb, rendering].find((f): f is string => f !== null && fs.existsSync(f)) ?? rasterFallback(row);
  return greyPixels(file, row.id, size);
}

async function greyPixels(file: string, imageId: number, maxSide: number): Promise<ImagePixels> {
  const { data, info } = await sharp(file)
    .greyscale()
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  // sharp may keep an alpha channel; keep the grey one only.
  const pixels = channels === 1 ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(info.width * info.height);
  if (channels !== 1) for (let i = 0; i < pixels.length; i++) pixels[i] = data[i * channels]!;
  return { imageId, width: info.width, height: info.height, pixels: new Uint8Array(pixels) };
}

/** The tag browser's rows: the DICOM tags import stored, plus what the catalog knows of the file. */
function tagsOf(row: ImageRow): DicomTag[] {
  const tags: DicomTag[] = [];
  if (row.tags_json) {
    try {
      const parsed = JSON.parse(row.tags_json) as unknown;
      if (Array.isArray(parsed)) {
        for (const t of parsed as Record<string, unknown>[]) {
          tags.push({ tag: String(t.tag ?? ''), name: String(t.name ?? t.keyword ?? ''), value: String(t.value ?? '') });
        }
      } else if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
          if (v === undefined || v === null) continue;
          const tagLike = /^x?[0-9a-f]{8}$/i.test(k) ? `(${k.replace(/^x/i, '').slice(0, 4)},${k.replace(/^x/i, '').slice(4)})`.toUpperCase() : '';
          // camelCase keys ('studyDate') read as words ('Study date').
          const words = k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().replace(/^./, (c) => c.toUpperCase());
          tags.push({ tag: tagLike, name: tagLike ? '' : words, value: typeof v === 'object' ? JSON.stringify(v) : String(v) });
        }
      }
    } catch {
      tags.push({ tag: '', name: 'tags', value: '(unreadable tag data)' });
    }
  }
  const file: [string, unknown][] = [
    ['File kind', row.file_kind],
    ['Transfer syntax', row.transfer_syntax],
    ['Photometric interpretation', row.photometric],
    ['Rows', row.rows],
    ['Columns', row.cols],
    ['Bits stored', row.bits_stored],
    ['Pixel spacing', row.pixel_spacing],
    ['Frames', row.frames],
    ['Content hash', row.content_hash],
    ['Imported', row.imported_at],
  ];
  for (const [name, v] of file) if (v !== null && v !== undefined) tags.push({ tag: '', name, value: String(v) });
  return tags;
}

function predictionOf(db: Catalog, imageId: number): PredictionDetail | null {
  const p = currentPredictionRow(db, imageId);
  if (!p) return null;
  const probabilities: Record<Label, number> = { COVID19: p.p_covid, NORMAL: p.p_normal, PNEUMONIA: p.p_pneumonia };
  const rawBands = parseBands(p.band_json);
  // A class without a band is shown as a point: the interval collapses to the estimate.
  const bands = Object.fromEntries(
    LABELS.map((l) => [l, rawBands[l] ?? { lo: probabilities[l], hi: probabilities[l] }]),
  ) as PredictionDetail['bands'];
  let conformalSet: Label[] = [];
  let quality: string[] = [];
  try {
    conformalSet = (JSON.parse(p.conformal_set) as Label[]).filter((l) => LABELS.includes(l));
    quality = (JSON.parse(p.quality_json) as unknown[]).map((q) => (typeof q === 'string' ? q : String((q as { code?: unknown }).code ?? '')));
  } catch {
    // Malformed JSON shows as empty rather than failing the viewer.
  }
  return {
    conformalCoverage: conformalCoverageOf(p.card_json),
    modelId: p.model_id,
    modelName: p.model_name ?? p.model_id,
    modelVersion: p.model_version ?? '',
    predicted: p.predicted,
    probabilities,
    bands,
    conformalSet,
    quality,
    oodScore: p.ood_score,
    method: p.method,
    nSamples: p.n_samples,
    at: p.created_at,
  };
}

/** The coverage the card's conformal sets were calibrated at; null for a card without them. */
function conformalCoverageOf(cardJson: string | null): number | null {
  try {
    const c = (JSON.parse(cardJson ?? 'null') as { conformal?: { coverage?: unknown } } | null)?.conformal?.coverage;
    return typeof c === 'number' && c > 0 && c < 1 ? c : null;
  } catch {
    return null;
  }
}

export function imageHandlers(s: Services): GroupImpl<'image'> {
  return {
    'image.get': async (req) => viewPixels(s, imageRow(s.catalog, req.imageId)),
    'image.thumbnail': async (req) => thumbnailPixels(s, imageRow(s.catalog, req.imageId), req.size),
    'image.detail': async (req) => {
      const db = s.catalog;
      const img = imageRow(db, req.imageId);
      const row = worklistRow(db, req.imageId);
      if (!row) throw new CxrError('NOT_FOUND', `image ${req.imageId} is not in the worklist`);
      return { row, tags: tagsOf(img), prediction: predictionOf(db, req.imageId), reviews: reviewHistory(db, req.imageId), studyImageIds: studyImageIds(db, img.series_id) };
    },
  };
}

/**
 * The model card (card.json in a model folder, and the catalog's copy in models.card_json): the
 * one schema, the one reader and the one writer. Fields this app does not know are kept as they
 * are, so a card written by an older or newer app still loads and round-trips.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LABELS, type Label } from '../../shared/labels';
import { operatingPoint, type Comparison, type DatasetSummary, type EpochPoint } from '../../shared/training';
import type { EvalMetrics } from '../evaluation/evaluate';
import type { TrainRecipe } from '../training/recipe';
import { TEMPERATURE_RANGE } from '../confidence/temperature';

export const CARD_JSON = 'card.json';

const count = z.number().int().min(0);
const labelEnum = z.enum(LABELS);

/** Temperature scaling fitted on val (confidence/calibrate.ts). */
const temperatureCalibration = z
  .object({
    temperature: z
      .number()
      .positive()
      .transform((t) => Math.min(Math.max(t, TEMPERATURE_RANGE[0]), TEMPERATURE_RANGE[1])),
    /** 15-bin ECE of the top-class confidence on the val images, before and after scaling. */
    eceBefore: z.number(),
    eceAfter: z.number(),
    nllBefore: z.number(),
    nllAfter: z.number(),
    n: count,
    /** Which val sets it was fitted on. */
    data: z.array(z.string()),
    fittedAt: z.string(),
  })
  .loose();

/** A split-conformal threshold (confidence/conformal.ts). */
const conformalCalibration = z
  .object({
    score: z.enum(['lac', 'aps']),
    /** Nominal coverage, e.g. 0.9. */
    coverage: z.number().gt(0).lt(1),
    /** The calibrated threshold on the score; JSON has no Infinity (every set is all classes), so null stands for it. */
    qhat: z
      .number()
      .nullable()
      .transform((q) => q ?? Infinity),
    /** Number of val images it was calibrated on. */
    n: count,
    /** Class-conditional (Mondrian) thresholds in LABELS order; null stands for Infinity as for qhat. */
    classQhat: z
      .array(z.number().nullable().transform((q) => q ?? Infinity))
      .optional(),
    /** The val images of each class those came from. */
    classN: z.array(count).optional(),
  })
  .loose();

/** The card's conformal part: the threshold, with its coverage on val (in-sample) and on 5 held-out folds of val. */
const conformalCard = conformalCalibration.extend({
  valCoverage: z.number(),
  meanSetSize: z.number(),
  heldOutFoldCoverage: z.array(z.number()),
  /** Coverage among val images of each class, in LABELS order (null: none of that class). */
  valClassCoverage: z.array(z.number().nullable()).optional(),
});

/** The OOD score's threshold, set on val (confidence/ood.ts). */
const oodCalibration = z
  .object({
    score: z.enum(['energy', 'max-softmax']),
    /** Scores above it are flagged `ood`. */
    threshold: z.number(),
    /** The val percentile the threshold sits at (0.99). */
    percentile: z.number(),
    n: count,
  })
  .loose();

/** One perturbation of the shortcut probe (evaluation/probe.ts). */
const perturbationResult = z
  .object({
    description: z.string(),
    /** Fraction of images whose predicted class changes. */
    flipRate: z.number(),
    /** Fraction of images not predicted COVID-19 before and predicted COVID-19 after. */
    flipToCovidRate: z.number(),
    /** Mean change in calibrated p(COVID-19). */
    meanDeltaPCovid: z.number(),
    /** Flip rate among images of each true class (when labels are given). */
    flipRateByClass: z.partialRecord(labelEnum, z.number()).optional(),
  })
  .loose();

const probeReport = z
  .object({
    n: count,
    data: z.string(),
    perturbations: z.record(z.string(), perturbationResult),
    /** flipRate(mask-lung-centre) - flipRate(mask-borders): positive means the lungs matter more. */
    lungCentreMinusBorders: z.number(),
    date: z.string(),
  })
  .loose();

/** What a run in this app adds: the run, the data it saw, and the comparison with the model it replaces. */
const localTraining = z
  .object({
    runId: z.number().int().optional(),
    dataset: z.custom<DatasetSummary>(isObject).optional(),
    comparison: z.custom<Comparison>(isObject).optional(),
  })
  .loose();

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A record of training whose shape its owner (training, evaluation) defines: the card checks only that it is an object. */
const record = <T>() => z.custom<T>(isObject);

export interface SplitSummary {
  total: number;
  perClass: Record<Label, number>;
  bySource: Record<string, { total: number; perClass: Record<Label, number> }>;
}

/** An epoch in the card's history: the IPC contract's EpochPoint with its duration. */
export interface EpochRecord extends Omit<EpochPoint, 'best'> {
  seconds: number;
  /** Val per source: the curves that show whether one set is learned at the others' expense. */
  valBySource?: Record<string, { loss: number; accuracy: number; balancedAccuracy: number }>;
}

export const modelCardSchema = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    version: z.string(),
    architecture: z.string(),
    inputSize: z.number().int().positive(),
    channels: z.union([z.literal(1), z.literal(3)]),
    /** The model's outputs, in this order: the app reads them so. */
    labels: z
      .array(labelEnum)
      .readonly()
      .refine((l) => l.length === LABELS.length && l.every((x, i) => x === LABELS[i]), { message: `must be ${LABELS.join(', ')} in that order` }),
    preprocessing: z.string().optional(),
    params: count.optional(),
    weightBytes: count.optional(),
    trainingData: record<{ train: SplitSummary; val: SplitSummary }>().optional(),
    recipe: record<TrainRecipe>().optional(),
    bestEpoch: z.number().int().optional(),
    history: z.custom<EpochRecord[]>(Array.isArray).optional(),
    valMetrics: z.custom<EvalMetrics | null>((v) => v === null || isObject(v)).optional(),
    valMetricsBySource: record<Record<string, EvalMetrics>>().optional(),
    /** `workers`: backends that trained it data-parallel (absent: one). */
    backend: record<{ name: string; threads: number; simd: boolean; workers?: number }>().optional(),
    date: z.string().optional(),
    parent: z.string().nullable().default(null),
    /** Known limits a clinician must read (shortcut risks, data gaps). */
    risks: z.array(z.string()).default([]),
    intendedUse: z.string().optional(),
    // The confidence parts (calibrate.ts, or a local training run): a card without them still
    // predicts, with the gaps shown as quality flags.
    calibration: temperatureCalibration.optional(),
    conformal: conformalCard.optional(),
    ood: oodCalibration.optional(),
    probe: probeReport.optional(),
    /** The COVID-19 flag threshold and how it was derived: the worklist's "Flagged" reads `operatingPoint.threshold`. */
    operatingPoint: operatingPoint.loose().optional(),
    localTraining: localTraining.optional(),
  })
  .loose();

export type ModelCard = z.output<typeof modelCardSchema>;
export type TemperatureCalibration = z.output<typeof temperatureCalibration>;
export type ConformalCalibration = z.output<typeof conformalCalibration>;
export type ConformalCard = z.output<typeof conformalCard>;
export type OodCalibration = z.output<typeof oodCalibration>;
export type PerturbationResult = z.output<typeof perturbationResult>;
export type ProbeReport = z.output<typeof probeReport>;
/** The confidence parts of a card, which the predictor reads. */
export type ConfidenceCard = Pick<ModelCard, 'calibration' | 'conformal' | 'ood' | 'probe'>;

export class ModelCardError extends Error {
  override name = 'ModelCardError';
}

/** Checks parsed card JSON against the schema; `where` names the folder (or catalog row) in the error. */
export function parseCard(json: unknown, where: string): ModelCard {
  const r = modelCardSchema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(the whole card)';
  throw new ModelCardError(`the model card of ${where} is invalid: ${field}: ${issue.message}`);
}

/** A card as the catalog stores it (models.card_json). */
export function parseCardJson(json: string, where: string): ModelCard {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new ModelCardError(`the model card of ${where} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseCard(parsed, where);
}

export function readCard(dir: string): ModelCard {
  const file = path.join(dir, CARD_JSON);
  if (!fs.existsSync(file)) throw new ModelCardError(`model folder ${dir} has no ${CARD_JSON}`);
  return parseCardJson(fs.readFileSync(file, 'utf8'), dir);
}

/**
 * Writes card.json. What is written is checked against the schema first (as JSON, where Infinity
 * becomes null), so a card this app writes always reads back.
 */
export function writeCard(dir: string, card: ModelCard): void {
  const json = JSON.stringify(card, null, 2);
  parseCardJson(json, dir);
  fs.writeFileSync(path.join(dir, CARD_JSON), `${json}\n`);
}

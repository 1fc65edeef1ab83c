/**
 * The confidence parts of a model card (card.json): written by calibrate.ts, read by the
 * predictor. A card without them still predicts, with the gaps shown as quality flags.
 */
import type { ConformalCalibration } from './conformal';
import type { OodCalibration } from './ood';
import type { ProbeReport } from '../evaluation/probe';

export interface TemperatureCalibration {
  temperature: number;
  /** 15-bin ECE of the top-class confidence on the val images, before and after scaling. */
  eceBefore: number;
  eceAfter: number;
  nllBefore: number;
  nllAfter: number;
  n: number;
  /** Which val sets it was fitted on. */
  data: string[];
  fittedAt: string;
}

export interface ConformalCard extends ConformalCalibration {
  /** Coverage and mean set size on val (in-sample) and on 5 held-out folds of val (out of sample). */
  valCoverage: number;
  meanSetSize: number;
  heldOutFoldCoverage: number[];
  /** Coverage among val images of each class, in LABELS order (null: none of that class). */
  valClassCoverage?: (number | null)[];
}

export interface ConfidenceCard {
  calibration?: TemperatureCalibration;
  conformal?: ConformalCard;
  ood?: OodCalibration;
  probe?: ProbeReport;
}

/** The confidence parts of any card object, checked loosely (a card from an older app may lack them). */
export function confidenceOf(card: Record<string, unknown>): ConfidenceCard {
  const c = card as ConfidenceCard;
  return {
    calibration: typeof c.calibration?.temperature === 'number' && c.calibration.temperature > 0 ? c.calibration : undefined,
    conformal: typeof c.conformal?.qhat === 'number' || c.conformal?.qhat === null ? fixInfinity(c.conformal) : undefined,
    ood: typeof c.ood?.threshold === 'number' ? c.ood : undefined,
    probe: c.probe,
  };
}

/** JSON has no Infinity: a qhat of Infinity is written as null. */
function fixInfinity(c: ConformalCard | undefined): ConformalCard | undefined {
  const inf = (q: number | null) => (q === null ? Infinity : q);
  return c && { ...c, qhat: inf(c.qhat), ...(c.classQhat ? { classQhat: c.classQhat.map(inf) } : {}) };
}

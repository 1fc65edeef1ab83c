/**
 * Temperature scaling (Guo et al. 2017): one scalar T divides every logit, fitted on val by
 * minimising the negative log-likelihood. It changes confidence, never the predicted class.
 */

/** Why a temperature could not be fitted. */
export class TemperatureError extends Error {
  override name = 'TemperatureError';
  constructor(reason: string) {
    super(`temperature scaling: ${reason}`);
  }
}

/** Softmax of logits / T, computed stably in float64. */
export function softmaxT(logits: ArrayLike<number>, temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  const e = new Array<number>(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    e[i] = Math.exp(logits[i]! / temperature - max);
    sum += e[i]!;
  }
  return e.map((v) => v / sum);
}

/** log Σ exp(z_i / T), stably. */
export function logSumExp(logits: ArrayLike<number>, temperature = 1): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! / temperature - max);
  return max + Math.log(sum);
}

/** Mean negative log-likelihood of the labels under softmax(logits / T). */
export function meanNll(logits: readonly ArrayLike<number>[], labels: readonly number[], temperature: number): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]!;
    total += logSumExp(z, temperature) - z[labels[i]!]! / temperature;
  }
  return total / logits.length;
}

export interface TemperatureFit {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
  /** How many val images it was fitted on. */
  n: number;
}

/**
 * The temperatures a fit may find and a card may apply: wider than any sane network needs, narrow
 * enough to stay finite (T = 1e-45 would turn every softmax into NaN). Cards are clamped to it
 * when read (models/card.ts).
 */
export const TEMPERATURE_RANGE = [0.05, 20] as const;
const LOG_T_MIN = Math.log(TEMPERATURE_RANGE[0]);
const LOG_T_MAX = Math.log(TEMPERATURE_RANGE[1]);

/**
 * Fits T by golden-section search on log T. NLL is convex in 1/T (a log-sum-exp of terms linear
 * in 1/T minus a linear term), so it is unimodal in log T and golden section finds the minimum
 * without derivatives or a learning rate to tune.
 */
export function fitTemperature(logits: readonly ArrayLike<number>[], labels: readonly number[]): TemperatureFit {
  if (logits.length === 0) throw new TemperatureError('no validation logits to fit on');
  if (logits.length !== labels.length) {
    throw new TemperatureError(`${logits.length} logit rows but ${labels.length} labels`);
  }
  const k = logits[0]!.length;
  labels.forEach((y, i) => {
    if (!Number.isInteger(y) || y < 0 || y >= k) throw new TemperatureError(`label ${y} at row ${i} is not a class index below ${k}`);
  });
  const f = (logT: number) => meanNll(logits, labels, Math.exp(logT));
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = LOG_T_MIN;
  let b = LOG_T_MAX;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-6) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = f(d);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  return { temperature, nllBefore: f(0), nllAfter: meanNll(logits, labels, temperature), n: logits.length };
}

// Open-set identification: FPIR/FNIR over thresholds, the seed's "identified" rate for people not
// in the training set, and confidence histograms for seen vs unseen people.
import { TorchError } from "../torch/index.js";
import { checkSameLength, type NumberArray, toFloat64 } from "./arrays.js";
import { thresholdAtFmr } from "./verification.js";

export interface OpenSetScores {
  /** Top score (e.g. max softmax) of each mated search: a probe whose identity is enrolled. */
  matedScores: NumberArray;
  /** Whether each mated search's top-ranked identity is the right one (rank-1). */
  matedCorrect: ArrayLike<boolean | number>;
  /** Top score of each non-mated search: a probe of someone not enrolled (unseen). */
  nonMatedScores: NumberArray;
}

export interface OpenSetRates {
  threshold: number;
  /** Non-mated searches returning a candidate at or above threshold (NIST FRVT). */
  fpir: number;
  /** Mated searches whose mate is not rank 1 or scores below threshold. */
  fnir: number;
}

export function openSetRates(s: OpenSetScores, thresholds: number[]): OpenSetRates[] {
  const mated = toFloat64(s.matedScores);
  const non = toFloat64(s.nonMatedScores);
  checkSameLength("openSetRates", mated, s.matedCorrect, "matedScores", "matedCorrect");
  return thresholds.map((t) => {
    let fp = 0;
    for (const v of non) if (v >= t) fp++;
    let fn = 0;
    mated.forEach((v, i) => {
      if (!s.matedCorrect[i] || v < t) fn++;
    });
    return {
      threshold: t,
      fpir: non.length ? fp / non.length : Number.NaN,
      fnir: mated.length ? fn / mated.length : Number.NaN,
    };
  });
}

/** FNIR at the lowest threshold whose FPIR is ≤ target (e.g. 0.01, 0.1 as in insightface's IJB 1:N). */
export function fnirAtFpir(s: OpenSetScores, targetFpir: number): OpenSetRates {
  return openSetRates(s, [thresholdAtFmr(s.nonMatedScores, targetFpir)])[0] as OpenSetRates;
}

/** 0, 0.01, …, 1: the default threshold grid for curves over max-softmax confidence. */
export const UNIT_THRESHOLDS: readonly number[] = Array.from({ length: 101 }, (_, i) => i / 100);

/**
 * The seed's "identified" rate: the share of people not in the training set whose maximum softmax
 * is greater than the threshold (seed: "a maximum softmax of greater than 90%"). This is FPIR at
 * that threshold, so compare it with FNIR on seen people at the same threshold.
 */
export function identifiedRate(unseenConfidences: NumberArray, threshold = 0.9): number {
  const c = toFloat64(unseenConfidences);
  if (c.length === 0) return Number.NaN;
  let n = 0;
  for (const v of c) if (v > threshold) n++;
  return n / c.length;
}

/** identifiedRate at every threshold of a grid (default 0, 0.01, …, 1). */
export function identifiedCurve(unseenConfidences: NumberArray, thresholds: readonly number[] = UNIT_THRESHOLDS) {
  const c = toFloat64(unseenConfidences);
  return thresholds.map((t) => ({ threshold: t, rate: identifiedRate(c, t) }));
}

export interface Histogram {
  /** bins + 1 edges. */
  edges: number[];
  counts: number[];
  /** counts / total (so histograms of different sizes compare). */
  fractions: number[];
}

/** Equal-width histogram over [lo, hi] (values outside are clamped into the end bins). */
export function histogram(values: NumberArray, o: { bins?: number; range?: [number, number] } = {}): Histogram {
  const v = toFloat64(values);
  const bins = o.bins ?? 20;
  const [lo, hi] = o.range ?? [0, 1];
  if (!(Number.isInteger(bins) && bins >= 1 && hi > lo))
    throw new TorchError(`histogram: need bins ≥ 1 and range lo < hi, got ${bins}, [${lo}, ${hi}]`, "ValueError");
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)));
    counts[b] = (counts[b] as number) + 1;
  }
  return {
    edges: Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins),
    counts,
    fractions: counts.map((c) => (v.length ? c / v.length : 0)),
  };
}

/** Confidence distributions of seen and unseen people on the same bins (seed Figures 4 and 5). */
export function confidenceHistograms(seen: NumberArray, unseen: NumberArray, bins = 20) {
  return { seen: histogram(seen, { bins }), unseen: histogram(unseen, { bins }) };
}

// Calibration (Guo, Pleiss, Sun, Weinberger, ICML 2017): expected calibration error over
// equal-width confidence bins, reliability-diagram data, and temperature scaling fitted on held-out
// logits by minimising the negative log-likelihood.
import { TorchError } from "../torch/index.js";
import {
  checkSameLength,
  type Matrix,
  type NumberArray,
  predictWithConfidence,
  toFloat64,
  toLabels,
  toRows,
} from "./arrays.js";
import type { MetricFn } from "./groups.js";

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean correctness in the bin (NaN when empty). */
  accuracy: number;
  /** Mean confidence in the bin (NaN when empty). */
  confidence: number;
}

export interface CalibrationReport {
  /** Σ_b (n_b/N)·|acc_b − conf_b| (L1). */
  ece: number;
  /** max_b |acc_b − conf_b| over non-empty bins. */
  mce: number;
  bins: ReliabilityBin[];
}

/**
 * ECE with nBins equal-width bins ((m−1)/M, m/M] as in Guo et al. eq. 3 (confidence 0 goes to the
 * first bin); torchmetrics' default is 15 bins.
 */
export function calibration(
  confidences: NumberArray,
  correct: ArrayLike<number | boolean>,
  nBins = 15,
): CalibrationReport {
  const conf = toFloat64(confidences);
  checkSameLength("calibration", conf, correct, "confidences", "correct");
  if (!(Number.isInteger(nBins) && nBins >= 1))
    throw new TorchError(`calibration: nBins must be a positive integer, got ${nBins}`, "ValueError");
  const count = new Float64Array(nBins);
  const hits = new Float64Array(nBins);
  const confSum = new Float64Array(nBins);
  for (let i = 0; i < conf.length; i++) {
    const c = conf[i] as number;
    if (!(c >= 0 && c <= 1))
      throw new TorchError(`calibration: confidences[${i}] = ${c} is not in [0, 1]`, "ValueError");
    const b = Math.min(nBins - 1, Math.max(0, Math.ceil(c * nBins) - 1));
    count[b] = (count[b] as number) + 1;
    hits[b] = (hits[b] as number) + Number(correct[i]);
    confSum[b] = (confSum[b] as number) + c;
  }
  let ece = 0;
  let mce = 0;
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < nBins; b++) {
    const n = count[b] as number;
    const accuracy = n ? (hits[b] as number) / n : Number.NaN;
    const confidence = n ? (confSum[b] as number) / n : Number.NaN;
    if (n) {
      const gap = Math.abs(accuracy - confidence);
      ece += (n / conf.length) * gap;
      mce = Math.max(mce, gap);
    }
    bins.push({ lo: b / nBins, hi: (b + 1) / nBins, count: n, accuracy, confidence });
  }
  return { ece: conf.length ? ece : Number.NaN, mce, bins };
}

/**
 * ECE as a metricFrame metric: pass yTrue = correctness (0/1) and yPred = confidence, and the frame
 * gives ECE per group with bootstrap intervals (lower is better).
 */
export function eceMetric(nBins = 15): { fn: MetricFn; higherIsBetter: false } {
  return { fn: (correct, conf) => calibration(conf, correct, nBins).ece, higherIsBetter: false };
}

/** Calibration of max-softmax predictions from logits (optionally divided by a temperature). */
export function calibrationFromLogits(
  logits: Matrix,
  labels: NumberArray,
  o: { nBins?: number; temperature?: number } = {},
) {
  const y = toLabels(labels);
  const { predictions, confidences } = predictWithConfidence(logits, o.temperature ?? 1);
  checkSameLength("calibrationFromLogits", predictions, y, "logits", "labels");
  const correct = Array.from(predictions, (p, i) => Number(p === y[i]));
  return calibration(confidences, correct, o.nBins);
}

/** Mean negative log-likelihood of the labels under softmax(logits / T). */
export function nll(logits: Matrix, labels: NumberArray, temperature = 1): number {
  const rows = toRows(logits, "logits");
  const y = toLabels(labels);
  checkSameLength("nll", rows, y, "logits", "labels");
  let total = 0;
  rows.forEach((r, i) => {
    total += logSumExp(r, 1 / temperature) - (r[y[i] as number] as number) / temperature;
  });
  return total / rows.length;
}

function logSumExp(r: Float64Array, beta: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of r) max = Math.max(max, beta * v);
  let s = 0;
  for (const v of r) s += Math.exp(beta * v - max);
  return max + Math.log(s);
}

export interface TemperatureFit {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
  iterations: number;
}

/**
 * Fits T > 0 minimising the NLL of softmax(z/T) on held-out logits. In β = 1/T the NLL
 * mean_i[logΣ_j exp(β z_ij) − β z_iy] is convex, so its derivative mean_i(E_p[z] − z_y) is
 * non-decreasing in β and the optimum is its root: found by bisection on log β over [1e-4, 1e4]
 * to machine precision (1-D, exact, no step sizes). A boundary value means the logits carry no
 * signal (β → 0) or separate the held-out data perfectly (β → ∞).
 */
export function fitTemperature(logits: Matrix, labels: NumberArray): TemperatureFit {
  const rows = toRows(logits, "logits");
  const y = toLabels(labels);
  checkSameLength("fitTemperature", rows, y, "logits", "labels");
  if (rows.length === 0) throw new TorchError("fitTemperature: no samples", "ValueError");
  const slope = (beta: number) => {
    let g = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as Float64Array;
      const lse = logSumExp(r, beta);
      let ez = 0;
      for (const v of r) ez += Math.exp(beta * v - lse) * v;
      g += ez - (r[y[i] as number] as number);
    }
    return g / rows.length;
  };
  let lo = Math.log(1e-4);
  let hi = Math.log(1e4);
  let iterations = 0;
  let beta: number;
  if (slope(Math.exp(lo)) >= 0) beta = Math.exp(lo);
  else if (slope(Math.exp(hi)) <= 0) beta = Math.exp(hi);
  else {
    for (; iterations < 200 && hi - lo > 1e-15; iterations++) {
      const mid = (lo + hi) / 2;
      if (slope(Math.exp(mid)) < 0) lo = mid;
      else hi = mid;
    }
    beta = Math.exp((lo + hi) / 2);
  }
  return { temperature: 1 / beta, nllBefore: nll(rows, y, 1), nllAfter: nll(rows, y, 1 / beta), iterations };
}

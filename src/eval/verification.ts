// 1:1 verification from embeddings: genuine/impostor cosine scores, FMR/FNMR at thresholds, ROC,
// TAR@FAR, EER and DET points. A pair is accepted when its score is ≥ the threshold.
import { F, noGrad, type Tensor, TorchError, tensor, tidy } from "../torch/index.js";
import { checkSameLength, type Matrix, type NumberArray, toFloat64, toLabels } from "./arrays.js";
import { normalQuantile } from "./stats.js";

export interface Pairs {
  i: Int32Array;
  j: Int32Array;
  score: Float64Array;
  /** 1 when samples i and j share an identity. */
  genuine: Uint8Array;
}

/**
 * Cosine similarity of every pair i < j of embeddings (N,D), labelled genuine or impostor by
 * identity. N(N−1)/2 pairs: fine for a few thousand samples.
 */
export function pairScores(embeddings: Matrix, identities: NumberArray, o: { blockSize?: number } = {}): Pairs {
  const ids = toLabels(identities, "identities");
  return tidy(() =>
    noGrad(() => {
      const e0 = isTensor(embeddings)
        ? embeddings.detach()
        : tensor(
            Array.from(embeddings, (r) => Array.from(r)),
            { dtype: "float64" },
          );
      if (e0.ndim !== 2)
        throw new TorchError(`pairScores: embeddings must be (N,D), got [${e0.shape.join(",")}]`, "ValueError");
      const n = e0.shape[0] as number;
      checkSameLength("pairScores", { length: n }, ids, "embeddings", "identities");
      const e = F.normalize(e0.double(), 2, 1);
      const total = (n * (n - 1)) / 2;
      const out: Pairs = {
        i: new Int32Array(total),
        j: new Int32Array(total),
        score: new Float64Array(total),
        genuine: new Uint8Array(total),
      };
      const block = o.blockSize ?? 256;
      let k = 0;
      for (let start = 0; start < n; start += block) {
        const rows = Math.min(block, n - start);
        const sims = tidy(() => e.narrow(0, start, rows).matmul(e.t()).toTypedArray() as Float64Array);
        for (let r = 0; r < rows; r++) {
          const a = start + r;
          for (let b = a + 1; b < n; b++) {
            out.i[k] = a;
            out.j[k] = b;
            out.score[k] = sims[r * n + b] as number;
            out.genuine[k] = ids[a] === ids[b] ? 1 : 0;
            k++;
          }
        }
      }
      return out;
    }),
  );
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "toNumbers" in x;
}

/** Genuine and impostor scores of a pair set. */
export function splitScores(p: Pairs): { genuine: Float64Array; impostor: Float64Array } {
  const g: number[] = [];
  const im: number[] = [];
  for (let k = 0; k < p.score.length; k++) (p.genuine[k] ? g : im).push(p.score[k] as number);
  return { genuine: Float64Array.from(g), impostor: Float64Array.from(im) };
}

/**
 * The pairs whose two samples both belong to `group` (same-group impostors, as NIST FRVT Part 3
 * compares demographic groups).
 */
export function pairsInGroup(p: Pairs, groups: ArrayLike<string | number>, group: string | number): Pairs {
  const keep: number[] = [];
  const g = String(group);
  for (let k = 0; k < p.score.length; k++)
    if (String(groups[p.i[k] as number]) === g && String(groups[p.j[k] as number]) === g) keep.push(k);
  const pick = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(keep.length);
    for (let n = 0; n < keep.length; n++) out[n] = a[keep[n] as number] as number;
    return out;
  };
  return { i: pick(p.i), j: pick(p.j), score: pick(p.score), genuine: pick(p.genuine) };
}

export interface ErrorRates {
  threshold: number;
  /** False match rate: impostor scores ≥ threshold. */
  fmr: number;
  /** False non-match rate: genuine scores < threshold. */
  fnmr: number;
}

export function errorRatesAt(genuine: NumberArray, impostor: NumberArray, thresholds: number[]): ErrorRates[] {
  const g = toFloat64(genuine);
  const im = toFloat64(impostor);
  return thresholds.map((t) => ({ threshold: t, fmr: fractionAtLeast(im, t), fnmr: 1 - fractionAtLeast(g, t) }));
}

function fractionAtLeast(a: Float64Array, t: number): number {
  if (a.length === 0) return Number.NaN;
  let n = 0;
  for (const v of a) if (v >= t) n++;
  return n / a.length;
}

/**
 * FMR/FNMR per group at thresholds fixed on the whole population (pass them in, e.g. from
 * thresholdAtFmr on all impostors), so a group's rates show how the global operating point treats it.
 */
export function errorRatesByGroup(
  p: Pairs,
  groups: ArrayLike<string | number>,
  thresholds: number[],
): Record<string, { genuinePairs: number; impostorPairs: number; rates: ErrorRates[] }> {
  const names = [...new Set(Array.from(groups, String))];
  return Object.fromEntries(
    names.map((g) => {
      const s = splitScores(pairsInGroup(p, groups, g));
      return [
        g,
        {
          genuinePairs: s.genuine.length,
          impostorPairs: s.impostor.length,
          rates: errorRatesAt(s.genuine, s.impostor, thresholds),
        },
      ];
    }),
  );
}

export interface Roc {
  /** Descending; the first is +∞ (nothing accepted). */
  thresholds: number[];
  /** False match (false positive) rate at each threshold. */
  fmr: number[];
  /** True match rate (TAR, 1 − FNMR). */
  tmr: number[];
}

/** ROC over every distinct score (sklearn roc_curve without dropping collinear points). */
export function roc(genuine: NumberArray, impostor: NumberArray): Roc {
  const g = toFloat64(genuine);
  const im = toFloat64(impostor);
  if (g.length === 0 || im.length === 0)
    throw new TorchError(`roc: need genuine and impostor scores, got ${g.length} and ${im.length}`, "ValueError");
  const all = [...Array.from(g, (s) => [s, 1] as const), ...Array.from(im, (s) => [s, 0] as const)].sort(
    (a, b) => b[0] - a[0],
  );
  const out: Roc = { thresholds: [Number.POSITIVE_INFINITY], fmr: [0], tmr: [0] };
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < all.length; k++) {
    const [s, isGenuine] = all[k] as readonly [number, number];
    if (isGenuine) tp++;
    else fp++;
    if (k + 1 < all.length && (all[k + 1] as readonly [number, number])[0] === s) continue; // ties enter together
    out.thresholds.push(s);
    out.fmr.push(fp / im.length);
    out.tmr.push(tp / g.length);
  }
  return out;
}

/** Area under the ROC (trapezoids); equals P(genuine > impostor) + ½P(tie). */
export function auc(r: Roc): number {
  let a = 0;
  for (let k = 1; k < r.fmr.length; k++)
    a += ((r.fmr[k] as number) - (r.fmr[k - 1] as number)) * (((r.tmr[k] as number) + (r.tmr[k - 1] as number)) / 2);
  return a;
}

/** The lowest threshold whose FMR is ≤ target (ties may make the achieved FMR lower). */
export function thresholdAtFmr(impostor: NumberArray, target: number): number {
  if (!(target >= 0 && target <= 1))
    throw new TorchError(`thresholdAtFmr: target must be in [0, 1], got ${target}`, "ValueError");
  const s = toFloat64(impostor).sort().reverse();
  if (s.length === 0) throw new TorchError("thresholdAtFmr: no impostor scores", "ValueError");
  const k = Math.floor(target * s.length + 1e-9);
  if (k >= s.length) return Number.NEGATIVE_INFINITY;
  // Everything strictly above s[k] is at most k scores, so FMR ≤ k/n ≤ target.
  return nextUp(s[k] as number);
}

/** TAR (1 − FNMR) at the threshold where FMR ≤ far. */
export function tarAtFar(
  genuine: NumberArray,
  impostor: NumberArray,
  far: number,
): { tar: number; threshold: number; far: number } {
  const threshold = thresholdAtFmr(impostor, far);
  const [r] = errorRatesAt(genuine, impostor, [threshold]) as [ErrorRates];
  return { tar: 1 - r.fnmr, threshold, far: r.fmr };
}

/** Equal error rate: where FMR and FNMR cross, interpolated linearly between ROC points. */
export function eer(genuine: NumberArray, impostor: NumberArray): { eer: number; threshold: number } {
  return eerOfRoc(roc(genuine, impostor));
}

/** The equal error rate of a ROC (see eer). */
export function eerOfRoc(r: Roc): { eer: number; threshold: number } {
  for (let k = 1; k < r.thresholds.length; k++) {
    const d1 = 1 - (r.tmr[k] as number) - (r.fmr[k] as number);
    if (d1 > 0) continue;
    const d0 = 1 - (r.tmr[k - 1] as number) - (r.fmr[k - 1] as number);
    const a = d0 === d1 ? 1 : d0 / (d0 - d1);
    const f0 = r.fmr[k - 1] as number;
    return { eer: f0 + a * ((r.fmr[k] as number) - f0), threshold: r.thresholds[k] as number };
  }
  return { eer: 0, threshold: r.thresholds.at(-1) as number };
}

/** DET curve: FNMR against FMR, with both on the probit (normal deviate) scale for plotting. */
export function detCurve(genuine: NumberArray, impostor: NumberArray) {
  const r = roc(genuine, impostor);
  const fnmr = r.tmr.map((t) => 1 - t);
  return { thresholds: r.thresholds, fmr: r.fmr, fnmr, x: r.fmr.map(normalQuantile), y: fnmr.map(normalQuantile) };
}

/** The smallest double greater than x. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigInt64(0);
  buf.setBigInt64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

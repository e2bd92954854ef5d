// Small statistics the bias study's analysis needs on plain JS numbers: a seeded RNG, bootstrap
// replicates of a per-group statistic, percentile intervals, across-seed spread and a trend slope.
// Per-sample metric definitions live in src/eval; this file only resamples and summarises.
import { mulberry32 } from "../../torch/rng.js";

/** A seeded stream (src/torch's mulberry32) so every bootstrap in a study is reproducible from its seed. */
export const rng = (seed: number): (() => number) => mulberry32((seed >>> 0) + 0x9e3779b9);

/** Derives a stable seed from strings and numbers (FNV-1a), so each cell/metric gets its own stream. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A statistic over a subset of a group's units, given as indices (with repeats under resampling). */
export type Statistic = (idx: Int32Array) => number;

/** A group's sample: n independent units (images, identities, probes) and the statistic over them. */
export interface GroupSample {
  n: number;
  stat: Statistic;
}

export const allIndices = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/** The statistic "mean of per-unit values" — accuracy, mean confidence, identified rate, FMR per identity… */
export function meanSample(values: ArrayLike<number>): GroupSample {
  return {
    n: values.length,
    stat: (idx) => {
      if (idx.length === 0) return Number.NaN;
      let s = 0;
      for (const i of idx) s += values[i] as number;
      return s / idx.length;
    },
  };
}

/**
 * B bootstrap replicates of each group's statistic, resampling units with replacement inside each
 * group independently (a stratified bootstrap: group sizes stay fixed, as in the study design).
 */
export function bootstrapGroups(groups: Map<string, GroupSample>, B: number, seed: number): Map<string, Float64Array> {
  const rand = rng(seed);
  const out = new Map<string, Float64Array>();
  for (const [name, g] of groups) {
    const reps = new Float64Array(B);
    const idx = new Int32Array(g.n);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < g.n; i++) idx[i] = Math.floor(rand() * g.n);
      reps[b] = g.n === 0 ? Number.NaN : g.stat(idx);
    }
    out.set(name, reps);
  }
  return out;
}

/** Percentile interval of replicates at the given level (NaN replicates are ignored). */
export function percentileCI(reps: ArrayLike<number>, level = 0.95): [number, number] {
  const v = Array.from(reps).filter((x) => Number.isFinite(x));
  if (v.length === 0) return [Number.NaN, Number.NaN];
  v.sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = p * (v.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, v.length - 1);
    return (v[lo] as number) + ((v[hi] as number) - (v[lo] as number)) * (pos - lo);
  };
  return [q((1 - level) / 2), q(1 - (1 - level) / 2)];
}

export function mean(v: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (Number.isFinite(x)) {
      s += x;
      n++;
    }
  }
  return n === 0 ? Number.NaN : s / n;
}

/** Sample standard deviation (n−1); NaN for fewer than two finite values. */
export function sd(v: ArrayLike<number>): number {
  const m = mean(v);
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (Number.isFinite(x)) {
      s += (x - m) ** 2;
      n++;
    }
  }
  return n < 2 ? Number.NaN : Math.sqrt(s / (n - 1));
}

/** Elementwise combination of replicate arrays of equal length (e.g. gap = a − b per replicate). */
export function combine(arrays: Float64Array[], f: (xs: number[]) => number): Float64Array {
  const B = arrays[0]?.length ?? 0;
  const out = new Float64Array(B);
  const xs = new Array<number>(arrays.length);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < arrays.length; k++) xs[k] = (arrays[k] as Float64Array)[b] as number;
    out[b] = f(xs);
  }
  return out;
}

/** Ordinary least-squares slope of y on x; NaN when x has no spread. */
export function olsSlope(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] as number) - mx;
    sxy += dx * ((y[i] as number) - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/** True when a finite interval lies entirely on one side of zero. */
export function excludesZero(ci: [number, number]): boolean {
  return Number.isFinite(ci[0]) && Number.isFinite(ci[1]) && (ci[0] > 0 || ci[1] < 0);
}

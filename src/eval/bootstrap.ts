// Seeded percentile bootstrap, optionally stratified (each stratum resampled within itself, so
// group sizes stay fixed and a small group is never resampled away).
import { Rng } from "../data/rng.js";
import { TorchError } from "../torch/index.js";
import { quantile } from "./stats.js";

export interface BootstrapOptions {
  /** Number of resamples (default 1000). 0 gives point estimates with NaN intervals. */
  nBoot?: number;
  /** Central coverage of the percentile interval (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 0): the same seed gives the same interval. */
  seed?: number;
  /** Stratum of each sample; resampling happens within each stratum. */
  strata?: ArrayLike<string | number>;
}

export interface Estimate {
  value: number;
  lo: number;
  hi: number;
}

/** Indices of each stratum, in order of first appearance. */
export function strataIndices(strata: ArrayLike<string | number>): Map<string, Int32Array> {
  const lists = new Map<string, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const key = String(strata[i]);
    const l = lists.get(key);
    if (l) l.push(i);
    else lists.set(key, [i]);
  }
  return new Map([...lists].map(([k, v]) => [k, Int32Array.from(v)]));
}

/**
 * Bootstrap replicates of a vector-valued statistic of the sample indices: statistic(all indices)
 * is the point estimate, statistic(resampled indices) each replicate.
 */
export function bootstrapReplicates(
  n: number,
  statistic: (idx: Int32Array) => number[],
  o: BootstrapOptions = {},
): { point: number[]; replicates: number[][] } {
  const nBoot = o.nBoot ?? 1000;
  if (!(Number.isInteger(nBoot) && nBoot >= 0))
    throw new TorchError(`bootstrap: nBoot must be a non-negative integer, got ${nBoot}`, "ValueError");
  if (o.strata && o.strata.length !== n)
    throw new TorchError(`bootstrap: strata has ${o.strata.length} entries for ${n} samples`, "ValueError");
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const groups = o.strata ? [...strataIndices(o.strata).values()] : [all];
  const rng = new Rng(o.seed ?? 0);
  // With strata, every index vector (the point estimate's too) lists stratum after stratum in
  // strataIndices order, so a statistic can slice groups as contiguous runs.
  const point = statistic(o.strata ? Int32Array.from(groups.flatMap((g) => Array.from(g))) : all);
  const replicates: number[][] = [];
  const idx = new Int32Array(n);
  for (let b = 0; b < nBoot; b++) {
    let k = 0;
    for (const g of groups) for (let i = 0; i < g.length; i++) idx[k++] = g[rng.int(0, g.length)] as number;
    replicates.push(statistic(idx));
  }
  return { point, replicates };
}

/** Percentile interval of each component; NaN replicates (undefined statistic) are skipped. */
export function percentileIntervals(point: number[], replicates: number[][], level = 0.95): Estimate[] {
  if (!(level > 0 && level < 1)) throw new TorchError(`bootstrap: level must be in (0, 1), got ${level}`, "ValueError");
  return point.map((value, j) => {
    if (replicates.length === 0) return { value, lo: Number.NaN, hi: Number.NaN };
    const col = replicates.map((r) => r[j] as number);
    return { value, lo: quantile(col, (1 - level) / 2), hi: quantile(col, (1 + level) / 2) };
  });
}

/** Percentile bootstrap CI of a scalar statistic of the sample indices. */
export function bootstrapCI(n: number, statistic: (idx: Int32Array) => number, o: BootstrapOptions = {}): Estimate {
  const { point, replicates } = bootstrapReplicates(n, (idx) => [statistic(idx)], o);
  return percentileIntervals(point, replicates, o.level)[0] as Estimate;
}

/** Picks entries of a by index (a resample). */
export function take(a: ArrayLike<number>, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i] as number] as number;
  return out;
}

// Seeded percentile bootstrap, optionally stratified (each stratum resampled within itself, so
// group sizes stay fixed and a small group is never resampled away) and clustered: samples of one
// person are correlated (the same face under two crops, a person's genuine pairs), so when each
// sample's identity is given, whole identities are drawn with replacement (a cluster bootstrap),
// as the bias study resamples people. Drawing samples one by one then ignores that correlation and
// gives intervals that are too narrow; it stays available as resample: "unit".
import { Rng } from "../data/rng.js";
import { TorchError } from "../torch/index.js";
import { quantile } from "./stats.js";

type Keys = ArrayLike<string | number>;

export interface BootstrapOptions {
  /** Number of resamples (default 1000). 0 gives point estimates with NaN intervals. */
  nBoot?: number;
  /** Central coverage of the percentile interval (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 0): the same seed gives the same interval. */
  seed?: number;
  /** Stratum of each sample; resampling happens within each stratum. */
  strata?: Keys;
  /**
   * Cluster (identity) of each sample, or for samples that are pairs the clusters of their two
   * members, [first, second]. A resample draws each stratum's clusters with replacement, and a
   * sample enters as often as its cluster was drawn (a pair of two clusters: the product of their
   * counts, Bolle, Ratha & Pankanti 2004, "Error analysis of pattern recognition systems — the
   * subsets bootstrap"). Clusters must nest within strata.
   */
  clusters?: Keys | readonly [Keys, Keys];
  /** "cluster" (the default when clusters are given) or "unit": samples drawn one by one. */
  resample?: "cluster" | "unit";
}

export interface Estimate {
  value: number;
  lo: number;
  hi: number;
}

/**
 * A statistic of sample indices (with repeats in a resample). With strata the indices list stratum
 * after stratum in strataIndices order and runs[s] says how many belong to stratum s (cluster
 * resamples vary in size); without strata runs is [idx.length].
 */
export type IndexStatistic<T> = (idx: Int32Array, runs: Int32Array) => T;

/** Indices of each stratum, in order of first appearance. */
export function strataIndices(strata: Keys): Map<string, Int32Array> {
  const lists = new Map<string, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const key = String(strata[i]);
    const l = lists.get(key);
    if (l) l.push(i);
    else lists.set(key, [i]);
  }
  return new Map([...lists].map(([k, v]) => [k, Int32Array.from(v)]));
}

/** Draws one resample: the index vector and its per-stratum run lengths. */
type Resampler = (rng: Rng) => { idx: Int32Array; runs: Int32Array };

function unitResampler(groups: Int32Array[], n: number): Resampler {
  const idx = new Int32Array(n);
  const runs = Int32Array.from(groups, (g) => g.length);
  return (rng) => {
    let k = 0;
    for (const g of groups) for (let i = 0; i < g.length; i++) idx[k++] = g[rng.int(0, g.length)] as number;
    return { idx, runs };
  };
}

function clusterResampler(groups: Int32Array[], n: number, clusters: Keys | readonly [Keys, Keys]): Resampler {
  const pair = isPairClusters(clusters);
  const [first, second] = pair ? clusters : [clusters, clusters];
  for (const [c, what] of [
    [first, pair ? "clusters[0]" : "clusters"],
    [second, "clusters[1]"],
  ] as const)
    if (c.length !== n)
      throw new TorchError(`bootstrap: ${what} has ${c.length} entries for ${n} samples`, "ValueError");
  const ids = new Map<string, number>();
  const idOf = (key: string | number) => {
    const s = String(key);
    const known = ids.get(s);
    if (known !== undefined) return known;
    ids.set(s, ids.size);
    return ids.size - 1;
  };
  const a = Int32Array.from({ length: n }, (_, i) => idOf(first[i] as string | number));
  const b = pair ? Int32Array.from({ length: n }, (_, i) => idOf(second[i] as string | number)) : a;
  // Each stratum draws from its own clusters; a cluster found in two strata cannot be drawn for one.
  const stratumOf = new Int32Array(ids.size).fill(-1);
  const members: number[][] = groups.map(() => []);
  groups.forEach((g, s) => {
    for (const i of g)
      for (const c of [a[i] as number, b[i] as number]) {
        if (stratumOf[c] === s) continue;
        if (stratumOf[c] !== -1) {
          const name = [...ids.keys()][c];
          throw new TorchError(
            `bootstrap: cluster "${name}" has samples in two strata; clusters (identities) must nest within strata (groups)`,
            "ValueError",
          );
        }
        stratumOf[c] = s;
        (members[s] as number[]).push(c);
      }
  });
  const count = new Int32Array(ids.size);
  const runs = new Int32Array(groups.length);
  return (rng) => {
    count.fill(0);
    for (const m of members) for (let k = 0; k < m.length; k++) (count[m[rng.int(0, m.length)] as number] as number)++;
    const times = (i: number) => {
      const ca = a[i] as number;
      const cb = b[i] as number;
      return ca === cb ? (count[ca] as number) : (count[ca] as number) * (count[cb] as number);
    };
    let total = 0;
    groups.forEach((g, s) => {
      let r = 0;
      for (const i of g) r += times(i);
      runs[s] = r;
      total += r;
    });
    const idx = new Int32Array(total);
    let k = 0;
    for (const g of groups) for (const i of g) for (let t = times(i); t > 0; t--) idx[k++] = i;
    return { idx, runs };
  };
}

const isPairClusters = (c: Keys | readonly [Keys, Keys]): c is readonly [Keys, Keys] =>
  Array.isArray(c) && c.length === 2 && typeof c[0] === "object" && c[0] !== null && "length" in c[0];

/**
 * Bootstrap replicates of a vector-valued statistic of the sample indices: statistic(all indices)
 * is the point estimate, statistic(resampled indices) each replicate.
 */
export function bootstrapReplicates(
  n: number,
  statistic: IndexStatistic<number[]>,
  o: BootstrapOptions = {},
): { point: number[]; replicates: number[][] } {
  const nBoot = o.nBoot ?? 1000;
  if (!(Number.isInteger(nBoot) && nBoot >= 0))
    throw new TorchError(`bootstrap: nBoot must be a non-negative integer, got ${nBoot}`, "ValueError");
  if (o.strata && o.strata.length !== n)
    throw new TorchError(`bootstrap: strata has ${o.strata.length} entries for ${n} samples`, "ValueError");
  const resample = o.resample ?? (o.clusters ? "cluster" : "unit");
  if (resample !== "cluster" && resample !== "unit")
    throw new TorchError(`bootstrap: resample must be "cluster" or "unit", got ${String(resample)}`, "ValueError");
  if (resample === "cluster" && !o.clusters)
    throw new TorchError('bootstrap: resample "cluster" needs clusters (the identity of each sample)', "ValueError");
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const groups = o.strata ? [...strataIndices(o.strata).values()] : [all];
  const draw = resample === "cluster" ? clusterResampler(groups, n, o.clusters as Keys) : unitResampler(groups, n);
  // The point estimate's index vector lists stratum after stratum too.
  const point = statistic(
    o.strata ? Int32Array.from(groups.flatMap((g) => Array.from(g))) : all,
    Int32Array.from(groups, (g) => g.length),
  );
  const rng = new Rng(o.seed ?? 0);
  const replicates: number[][] = [];
  for (let b = 0; b < nBoot; b++) {
    const { idx, runs } = draw(rng);
    replicates.push(statistic(idx, runs));
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
export function bootstrapCI(n: number, statistic: IndexStatistic<number>, o: BootstrapOptions = {}): Estimate {
  const { point, replicates } = bootstrapReplicates(n, (idx, runs) => [statistic(idx, runs)], o);
  return percentileIntervals(point, replicates, o.level)[0] as Estimate;
}

/**
 * Percentile interval of one vector of replicates at the given level; non-finite replicates (an
 * undefined statistic, a ratio over zero) are ignored. [NaN, NaN] when none is finite.
 */
export function percentileCI(reps: ArrayLike<number>, level = 0.95): [number, number] {
  if (!(level > 0 && level < 1))
    throw new TorchError(`percentileCI: level must be in (0, 1), got ${level}`, "ValueError");
  const finite = Float64Array.from(reps).filter(Number.isFinite);
  return [quantile(finite, (1 - level) / 2), quantile(finite, 1 - (1 - level) / 2)];
}

/** True when a finite interval lies entirely on one side of zero. */
export const excludesZero = (ci: readonly [number, number]): boolean =>
  Number.isFinite(ci[0]) && Number.isFinite(ci[1]) && (ci[0] > 0 || ci[1] < 0);

/** The entries of a at the given indices, repeats included (a resample's values). */
export function valuesAt(a: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i] as number] as number;
  return out;
}

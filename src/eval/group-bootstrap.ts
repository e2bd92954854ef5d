// Bootstrap of a per-group statistic on plain numbers, one replicate array per group: units are
// resampled with replacement inside each group independently (a stratified bootstrap: group sizes
// stay fixed, as the bias study's design holds them), all groups from one seeded stream in the map's
// order. The bias study's cells use it for every metric's per-group and summary intervals (summaries
// such as a gap are `combine`d replicate by replicate). bootstrap.ts resamples one sample vector with
// strata and clusters instead; this one lets each group carry a statistic of its own units.
import { uniformStream } from "../data/rng.js";
import { TorchError } from "../torch/index.js";

/** A statistic over a subset of a group's units, given as indices (with repeats under resampling). */
export type Statistic = (idx: Int32Array) => number;

/** A group's sample: n independent units (images, identities, probes) and the statistic over them. */
export interface GroupSample {
  n: number;
  stat: Statistic;
}

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

/** B replicates of each group's statistic (NaN for an empty group), from the stream of `seed`. */
export function bootstrapGroups(groups: Map<string, GroupSample>, B: number, seed: number): Map<string, Float64Array> {
  if (!(Number.isInteger(B) && B >= 0))
    throw new TorchError(`bootstrapGroups: B must be a non-negative integer, got ${B}`, "ValueError");
  const rand = uniformStream(seed);
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

/** Elementwise combination of replicate arrays of equal length (e.g. gap = a − b per replicate). */
export function combine(arrays: Float64Array[], f: (xs: number[]) => number): Float64Array {
  const B = arrays[0]?.length ?? 0;
  for (const [k, a] of arrays.entries())
    if (a.length !== B)
      throw new TorchError(`combine: replicate array ${k} has ${a.length} entries, array 0 has ${B}`, "ValueError");
  const out = new Float64Array(B);
  const xs = new Array<number>(arrays.length);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < arrays.length; k++) xs[k] = (arrays[k] as Float64Array)[b] as number;
    out[b] = f(xs);
  }
  return out;
}

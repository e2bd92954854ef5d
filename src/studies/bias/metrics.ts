// Per-group metrics of one bias-study cell from its evaluation outputs (plain numbers, see
// EvalOutputs): value, bootstrap CI and n per group, fairness summaries (gap focus−rest, max−min,
// min/max ratio, worst group) with CIs, and the curves and distributions the report draws.
// Thresholds are fixed once on the whole population and then applied to every group (NIST FRVT
// Part 3 practice, reference/face-losses-and-bias.md §3.3), so groups are compared at one setting.
import { seedOf } from "../../data/rng.js";
import {
  bootstrapGroups,
  calibration,
  combine,
  type GroupSample,
  meanSample,
  percentileCI,
  valuesAt,
} from "../../eval/index.js";
import { globalThreshold, scoreCurves } from "./curves.js";
import type { EvalOutputs } from "./evaluate.js";

export interface MetricOptions {
  focus: string;
  identifiedThreshold: number;
  far: number;
  fpir: number;
  eceBins: number;
  bootstrap: number;
  ciLevel: number;
  minGroupSamples: number;
  seed: number;
}

export interface Estimate {
  group: string;
  metric: string;
  value: number;
  ciLow: number;
  ciHigh: number;
  n: number;
}

export interface CellMetrics {
  rows: Estimate[];
  /** Bootstrap replicates of "focus − rest" per metric, thinned, for the trend analysis. */
  gapReplicates: Record<string, number[]>;
  thresholds: { verification: number; openSet: number };
  curves: ReturnType<typeof scoreCurves>;
  warnings: string[];
}

/** Which way is better, so "worst group" picks the right end. */
export const METRICS: Record<string, { higherIsBetter: boolean; about: string }> = {
  accuracy: { higherIsBetter: true, about: "closed-set identification accuracy on seen people's test images" },
  confidence_seen: {
    higherIsBetter: true,
    about: "mean max-softmax (temperature-scaled) on seen people's test images",
  },
  confidence_unseen: { higherIsBetter: false, about: "mean max-softmax (temperature-scaled) on unseen people" },
  identified_rate: {
    higherIsBetter: false,
    about: "unseen people with max-softmax ≥ τ after temperature scaling (= FPIR at τ)",
  },
  identified_rate_raw: { higherIsBetter: false, about: "the seed's rule: unseen people with raw max-softmax ≥ τ" },
  ece: { higherIsBetter: false, about: "expected calibration error on seen test images, after temperature scaling" },
  ece_raw: { higherIsBetter: false, about: "expected calibration error before temperature scaling" },
  fnmr: { higherIsBetter: false, about: "false non-match rate among unseen people at the global FAR threshold" },
  fmr: { higherIsBetter: false, about: "false match rate (same-group impostors) at the global FAR threshold" },
  tar_at_far: { higherIsBetter: true, about: "true accept rate at the population's FAR operating point" },
  fnir: { higherIsBetter: false, about: "open-set FNIR (embeddings, rank 1) at the population's FPIR operating point" },
  fpir: { higherIsBetter: false, about: "open-set FPIR of unseen people at that same threshold" },
};

/** ECE of the units at idx (src/eval calibration: Guo et al. eq. 3, equal-width bins). */
export function eceOf(
  conf: ArrayLike<number>,
  correct: ArrayLike<number>,
  idx: ArrayLike<number>,
  bins: number,
): number {
  if (idx.length === 0) return Number.NaN;
  const c = Float64Array.from(idx as ArrayLike<number>, (i) => conf[i] as number);
  const k = Float64Array.from(idx as ArrayLike<number>, (i) => correct[i] as number);
  return calibration(c, k, bins).ece;
}

function eceSample(conf: Float64Array, correct: Uint8Array, bins: number): GroupSample {
  return { n: conf.length, stat: (idx) => eceOf(conf, correct, idx, bins) };
}

/** Splits per-unit arrays by group id: name → the unit indices of that group. */
function byGroup(group: Int32Array, names: string[]): Map<string, number[]> {
  const m = new Map<string, number[]>(names.map((g) => [g, []]));
  group.forEach((g, i) => {
    m.get(names[g] as string)?.push(i);
  });
  return m;
}

export function cellMetrics(ev: EvalOutputs, o: MetricOptions): CellMetrics {
  const names = ev.groups;
  const thrV = globalThreshold(
    ev.verification.impostors.flatMap((a) => Array.from(a)),
    o.far,
  );
  const thrO = globalThreshold(Array.from(ev.openSet.nonMatedScore), o.fpir);

  // Per-unit values for each metric; each metric is a set of samples per group (+ "all").
  const perUnit: Record<string, { group: Int32Array; sample: (idx: number[]) => GroupSample }> = {};
  const mean = (values: ArrayLike<number>) => (idx: number[]) => meanSample(valuesAt(values, idx));
  const s = ev.seen;
  const u = ev.unseen;
  perUnit.accuracy = { group: s.group, sample: mean(s.correct) };
  perUnit.confidence_seen = { group: s.group, sample: mean(s.conf) };
  perUnit.confidence_unseen = { group: u.group, sample: mean(u.conf) };
  perUnit.identified_rate = { group: u.group, sample: mean(Array.from(u.conf, (c) => +(c >= o.identifiedThreshold))) };
  perUnit.identified_rate_raw = {
    group: u.group,
    sample: mean(Array.from(u.confRaw, (c) => +(c >= o.identifiedThreshold))),
  };
  const ece = (conf: Float64Array) => (idx: number[]) =>
    eceSample(
      valuesAt(conf, idx),
      Uint8Array.from(idx, (i) => s.correct[i] as number),
      o.eceBins,
    );
  perUnit.ece = { group: s.group, sample: ece(s.conf) };
  perUnit.ece_raw = { group: s.group, sample: ece(s.confRaw) };
  const v = ev.verification;
  const fnm = Array.from(v.genuine, (g) => +(g < thrV));
  perUnit.fnmr = { group: v.group, sample: mean(fnm) };
  perUnit.tar_at_far = { group: v.group, sample: mean(fnm.map((x) => 1 - x)) };
  // FMR per probe person (its share of impostors above threshold): resampling people, not pairs,
  // keeps the CI honest about pairs that share a person.
  perUnit.fmr = {
    group: v.group,
    sample: mean(v.impostors.map((imp) => (imp.length ? imp.filter((x) => x >= thrV).length / imp.length : 0))),
  };
  const os = ev.openSet;
  perUnit.fnir = {
    group: os.matedGroup,
    sample: mean(Array.from(os.matedScore, (sc, i) => +!(os.matedRankOne[i] && sc >= thrO))),
  };
  perUnit.fpir = { group: os.nonMatedGroup, sample: mean(Array.from(os.nonMatedScore, (sc) => +(sc >= thrO))) };

  const rows: Estimate[] = [];
  const gapReplicates: Record<string, number[]> = {};
  const small = new Map<string, string[]>();
  const focus = o.focus;
  for (const [metric, spec] of Object.entries(perUnit)) {
    const groups = byGroup(spec.group, names);
    const samples = new Map<string, GroupSample>();
    for (const [g, idx] of groups) samples.set(g, spec.sample(idx));
    samples.set("all", spec.sample(Array.from(spec.group, (_, i) => i)));
    const reps = bootstrapGroups(samples, o.bootstrap, seedOf(o.seed, metric));
    const point = new Map<string, number>();
    for (const [g, smp] of samples) {
      const value = smp.stat(Int32Array.from({ length: smp.n }, (_, i) => i));
      point.set(g, value);
      const [lo, hi] = percentileCI(reps.get(g) as Float64Array, o.ciLevel);
      rows.push({ group: g, metric, value, ciLow: lo, ciHigh: hi, n: smp.n });
      if (g !== "all" && smp.n < o.minGroupSamples) {
        const key = `group "${g}" has only ${smp.n} samples (< ${o.minGroupSamples})`;
        small.set(key, [...(small.get(key) ?? []), metric]);
      }
    }
    const gs = names.filter((g) => (samples.get(g)?.n ?? 0) > 0);
    if (gs.length < 2) continue;
    const higher = METRICS[metric]?.higherIsBetter ?? true;
    const summaries: [string, (xs: number[]) => number][] = [
      ["max-min", (xs) => Math.max(...xs) - Math.min(...xs)],
      ["min/max", (xs) => (Math.max(...xs) === 0 ? Number.NaN : Math.min(...xs) / Math.max(...xs))],
      ["worst", (xs) => (higher ? Math.min(...xs) : Math.max(...xs))],
    ];
    const fi = gs.indexOf(focus);
    if (fi >= 0) {
      // focus − unweighted mean of the other groups: the quantity the trend analysis follows.
      const gap = (xs: number[]) =>
        (xs[fi] as number) - xs.filter((_, k) => k !== fi).reduce((a, b) => a + b, 0) / (xs.length - 1);
      summaries.unshift([`gap:${focus}-rest`, gap]);
    }
    const arrays = gs.map((g) => reps.get(g) as Float64Array);
    const values = gs.map((g) => point.get(g) as number);
    for (const [label, f] of summaries) {
      const r = combine(arrays, f);
      const [lo, hi] = percentileCI(r, o.ciLevel);
      rows.push({
        group: label,
        metric,
        value: f(values),
        ciLow: lo,
        ciHigh: hi,
        n: gs.reduce((a, g) => a + (samples.get(g)?.n ?? 0), 0),
      });
      if (label.startsWith("gap:")) gapReplicates[metric] = thin(r, 200);
    }
  }
  const curves = scoreCurves(ev, o.identifiedThreshold, o.eceBins);
  // One warning per group and sample size, naming the metrics it affects.
  const warnings = [...small].map(([k, ms]) => `${k} for ${ms.join(", ")}: too few for a CI to support a claim`);
  return { rows, gapReplicates, thresholds: { verification: thrV, openSet: thrO }, curves, warnings };
}

/** Every k-th replicate so that at most `max` remain (keeps cell files small). */
function thin(r: Float64Array, max: number): number[] {
  const step = Math.max(1, Math.floor(r.length / max));
  const out: number[] = [];
  for (let i = 0; i < r.length && out.length < max; i += step) out.push(r[i] as number);
  return out;
}

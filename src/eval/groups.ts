// Per-group metric frames in the style of fairlearn's MetricFrame: each metric overall and per
// group, the worst group, the max gap (difference) and min/max ratio between groups, all with
// seeded, group-stratified bootstrap percentile intervals (resampling people, not images, when
// each sample's identity is given).
import { TorchError } from "../torch/index.js";
import { checkSameLength, type NumberArray, toFloat64 } from "./arrays.js";
import {
  type BootstrapOptions,
  bootstrapReplicates,
  type Estimate,
  percentileIntervals,
  strataIndices,
  valuesAt,
} from "./bootstrap.js";

export type MetricFn = (yTrue: Float64Array, yPred: Float64Array) => number;
export interface MetricSpec {
  fn: MetricFn;
  /** Decides which group is "worst" (default true: the minimum is worst, as for accuracy). */
  higherIsBetter?: boolean;
}

export interface MetricFrameOptions extends Omit<BootstrapOptions, "strata" | "clusters"> {
  metrics: Record<string, MetricFn | MetricSpec>;
  yTrue: NumberArray;
  /** Predictions, or any per-sample value a metric needs (e.g. confidences for a mean-confidence metric). */
  yPred: NumberArray;
  /** Sensitive feature of each sample. */
  groups: ArrayLike<string | number>;
  /**
   * Identity (person) of each sample. Given, the intervals resample people within each group (a
   * cluster bootstrap) unless resample is "unit"; a person must belong to one group.
   */
  identities?: ArrayLike<string | number>;
  /** Groups smaller than this get a warning: their intervals are too wide to mean much (default 30). */
  minGroupSize?: number;
}

export interface MetricFrame {
  metrics: string[];
  groups: string[];
  counts: Record<string, number>;
  overall: Record<string, Estimate>;
  byGroup: Record<string, Record<string, Estimate>>;
  groupMin: Record<string, Estimate>;
  groupMax: Record<string, Estimate>;
  /** max − min over groups (fairlearn difference(method="between_groups")). */
  difference: Record<string, Estimate>;
  /** min / max over groups (fairlearn ratio(method="between_groups")). */
  ratio: Record<string, Estimate>;
  /** The worst group's value (min, or max when higherIsBetter is false) and which group it is. */
  worst: Record<string, Estimate>;
  worstGroup: Record<string, string>;
  warnings: string[];
}

/** Evaluates metrics overall and per group, with bootstrap CIs stratified by group. */
export function metricFrame(o: MetricFrameOptions): MetricFrame {
  const yTrue = toFloat64(o.yTrue);
  const yPred = toFloat64(o.yPred);
  checkSameLength("metricFrame", yTrue, yPred, "yTrue", "yPred");
  checkSameLength("metricFrame", yTrue, o.groups, "yTrue", "groups");
  const names = Object.keys(o.metrics);
  if (names.length === 0) throw new TorchError("metricFrame: give at least one metric", "ValueError");
  const specs = names.map((k) => {
    const m = o.metrics[k] as MetricFn | MetricSpec;
    return typeof m === "function"
      ? { fn: m, higherIsBetter: true }
      : { fn: m.fn, higherIsBetter: m.higherIsBetter ?? true };
  });
  const strata = strataIndices(o.groups);
  const groupNames = [...strata.keys()];
  const G = groupNames.length;
  const M = names.length;
  // One statistic vector per (re)sample: [overall×M, group-major G×M, min, max, diff, ratio, worst ×M].
  // Stratified resampling lists each group's (resampled) indices as one contiguous run, in strata
  // order, runs[g] long (a cluster resample's runs vary in length).
  const stat = (idx: Int32Array, runs: Int32Array): number[] => {
    const t = valuesAt(yTrue, idx);
    const p = valuesAt(yPred, idx);
    const out = specs.map((s) => s.fn(t, p));
    const perGroup: number[][] = [];
    let start = 0;
    for (let g = 0; g < G; g++) {
      const sub = idx.subarray(start, start + (runs[g] as number));
      start += runs[g] as number;
      const gt = valuesAt(yTrue, sub);
      const gp = valuesAt(yPred, sub);
      perGroup.push(specs.map((s) => s.fn(gt, gp)));
    }
    for (const row of perGroup) out.push(...row);
    for (let m = 0; m < M; m++) {
      const v = perGroup.map((r) => r[m] as number).filter((x) => !Number.isNaN(x));
      const lo = v.length ? Math.min(...v) : Number.NaN;
      const hi = v.length ? Math.max(...v) : Number.NaN;
      out.push(lo, hi, hi - lo, hi === 0 ? Number.NaN : lo / hi, specs[m]?.higherIsBetter ? lo : hi);
    }
    return out;
  };
  if (o.identities) checkSameLength("metricFrame", yTrue, o.identities, "yTrue", "identities");
  const { point, replicates } = bootstrapReplicates(yTrue.length, stat, {
    nBoot: o.nBoot,
    seed: o.seed,
    strata: o.groups,
    clusters: o.identities,
    resample: o.resample,
  });
  const est = percentileIntervals(point, replicates, o.level);

  const pick = (offset: number) => Object.fromEntries(names.map((n, m) => [n, est[offset + m] as Estimate]));
  const byGroup = Object.fromEntries(groupNames.map((g, gi) => [g, pick(M + gi * M)]));
  const base = M + G * M;
  const summary = (k: number) => Object.fromEntries(names.map((n, m) => [n, est[base + m * 5 + k] as Estimate]));
  const worstGroup = Object.fromEntries(
    names.map((n, m) => {
      let worst = groupNames[0] as string;
      for (const g of groupNames) {
        const v = byGroup[g]?.[n]?.value as number;
        const cur = byGroup[worst]?.[n]?.value as number;
        if (Number.isNaN(cur) || (specs[m]?.higherIsBetter ? v < cur : v > cur)) worst = g;
      }
      return [n, worst];
    }),
  );
  const counts = Object.fromEntries(groupNames.map((g) => [g, strata.get(g)?.length ?? 0]));
  const minSize = o.minGroupSize ?? 30;
  const warnings = groupNames
    .filter((g) => (counts[g] as number) < minSize)
    .map(
      (g) =>
        `group ${JSON.stringify(g)} has only ${counts[g]} samples (< ${minSize}); its interval is too wide to support a claim`,
    );
  return {
    metrics: names,
    groups: groupNames,
    counts,
    overall: pick(0),
    byGroup,
    groupMin: summary(0),
    groupMax: summary(1),
    difference: summary(2),
    ratio: summary(3),
    worst: summary(4),
    worstGroup,
    warnings,
  };
}

export interface MetricFrameRow {
  metric: string;
  /** A group name, or "overall" for the whole population. */
  group: string;
  /** "group" / "overall" rows, or a between-group summary. */
  kind: "group" | "overall" | "min" | "max" | "difference" | "ratio" | "worst";
  value: number;
  lo: number;
  hi: number;
  /** Samples behind the value (the whole population for summaries). */
  n: number;
}

/** Flattens a frame into rows (one per metric × group or summary), e.g. for results.csv. */
export function metricFrameRows(f: MetricFrame): MetricFrameRow[] {
  const total = Object.values(f.counts).reduce((a, b) => a + b, 0);
  const rows: MetricFrameRow[] = [];
  for (const metric of f.metrics) {
    rows.push({ metric, group: "overall", kind: "overall", ...(f.overall[metric] as Estimate), n: total });
    for (const g of f.groups)
      rows.push({ metric, group: g, kind: "group", ...(f.byGroup[g]?.[metric] as Estimate), n: f.counts[g] as number });
    const summaries = {
      min: f.groupMin,
      max: f.groupMax,
      difference: f.difference,
      ratio: f.ratio,
      worst: f.worst,
    } as const;
    for (const [kind, rec] of Object.entries(summaries))
      rows.push({
        metric,
        group: kind === "worst" ? (f.worstGroup[metric] as string) : "",
        kind: kind as MetricFrameRow["kind"],
        ...(rec[metric] as Estimate),
        n: total,
      });
  }
  return rows;
}

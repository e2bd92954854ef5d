// The study-level analysis: per split and loss, the focus group's gap pooled over seeds with a
// two-stage bootstrap CI (resample seeds, then each seed's own bootstrap replicate), the spread
// across seeds, the trend of the gap across imbalance levels (OLS slope with the same bootstrap),
// and one plain sentence per claim. Claims are split into a declared primary family (config
// analysis.primary; default the focus group's accuracy-gap trend per loss), reported with Holm-adjusted
// p-values, and every other claim (secondary), reported with Benjamini–Hochberg q-values (issue #13).
import { seedOf, uniformStream } from "../../data/rng.js";
import { excludesZero, percentileCI } from "../../eval/bootstrap.js";
import { bhQValues, bootstrapPValue, holm } from "../../eval/multiplicity.js";
import { mean, olsSlope, std } from "../../eval/stats.js";
import { type FrameRow, pooledFrame } from "./frame.js";
import { METRICS } from "./metrics.js";
import type { CellRecord } from "./results.js";

/** One primary hypothesis: a trend or gap of a metric, optionally for one loss (and split, for a gap). */
export interface PrimarySpec {
  kind: "trend" | "gap";
  metric: string;
  loss?: string;
  split?: string;
}

export const DEFAULT_PRIMARY: PrimarySpec[] = [{ kind: "trend", metric: "accuracy" }];

export interface AnalysisOptions {
  focus: string;
  ciLevel: number;
  bootstrap: number;
  /** Metrics to make claims about (default: all that have a focus gap). */
  metrics?: string[];
  /** The declared primary family (default DEFAULT_PRIMARY: the accuracy-gap trend per loss). */
  primary?: PrimarySpec[];
  /** Level at which adjusted p / q values count as findings (default 0.05). */
  alpha?: number;
  /** Groups with fewer test units are flagged in the metric frame (default 30). */
  minGroupSamples?: number;
  /** Group order for the metric frame (default: as the cells list them). */
  groups?: string[];
}

/** Where a claim stands in the multiplicity control. */
interface Tested {
  family: "primary" | "secondary";
  /** Two-sided bootstrap p-value of "no gap" / "no trend". */
  p: number;
  /** Holm-adjusted p (primary) or Benjamini–Hochberg q (secondary). */
  adjusted: number;
  /** adjusted ≤ alpha */
  significant: boolean;
}

export interface GapClaim extends Tested {
  kind: "gap";
  loss: string;
  split: string;
  level: number;
  metric: string;
  seeds: number;
  estimate: number;
  ci: [number, number];
  /** Across-seed spread of the per-seed gaps (NaN with one seed). */
  seedSd: number;
  seedRange: [number, number];
  excludesZero: boolean;
  statement: string;
}

export interface TrendClaim extends Tested {
  kind: "trend";
  loss: string;
  metric: string;
  /** Change of the gap per unit of the focus group's training share. */
  slope: number;
  ci: [number, number];
  levels: number[];
  excludesZero: boolean;
  statement: string;
}

export interface Analysis {
  focus: string;
  ciLevel: number;
  alpha: number;
  /** The primary family as declared (config analysis.primary). */
  primary: PrimarySpec[];
  /** Per split × loss: each group's accuracy, the difference and ratio between groups, with CIs. */
  frame: FrameRow[];
  gaps: GapClaim[];
  trends: TrendClaim[];
  /** Mean, sd, min and max across seeds of every per-group estimate. */
  acrossSeeds: {
    split: string;
    level: number;
    loss: string;
    group: string;
    metric: string;
    mean: number;
    sd: number;
    min: number;
    max: number;
    seeds: number;
  }[];
  warnings: string[];
}

const fmt = (x: number) =>
  Number.isFinite(x) ? (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(3)) : "n/a";

/** B draws of a split's mean gap: resample seeds with replacement, then one replicate of each. */
function pooledDraws(cells: CellRecord[], metric: string, B: number, rand: () => number): Float64Array | undefined {
  const reps = cells
    .map((c) => c.metrics.gapReplicates[metric])
    .filter((r): r is number[] => Array.isArray(r) && r.length > 0);
  if (reps.length === 0) return undefined;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let k = 0; k < reps.length; k++) {
      const r = reps[Math.floor(rand() * reps.length)] as number[];
      s += r[Math.floor(rand() * r.length)] as number;
    }
    out[b] = s / reps.length;
  }
  return out;
}

const gapValue = (c: CellRecord, metric: string, focus: string) =>
  c.metrics.rows.find((r) => r.metric === metric && r.group === `gap:${focus}-rest`)?.value;

export function analyse(records: CellRecord[], o: AnalysisOptions): Analysis {
  const pct = Math.round(o.ciLevel * 100);
  const losses = [...new Set(records.map((r) => r.loss.label))];
  const splits = [...new Map(records.map((r) => [r.split.name, r.split])).values()].sort((a, b) => a.level - b.level);
  const metrics = o.metrics ?? Object.keys(METRICS);
  const gaps: GapClaim[] = [];
  const trends: TrendClaim[] = [];
  for (const loss of losses)
    for (const metric of metrics) {
      const perSplit: { level: number; draws: Float64Array; estimate: number }[] = [];
      for (const split of splits) {
        const cells = records.filter((r) => r.loss.label === loss && r.split.name === split.name);
        const values = cells
          .map((c) => gapValue(c, metric, o.focus))
          .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
        if (values.length === 0) continue;
        const draws = pooledDraws(cells, metric, o.bootstrap, uniformStream(seedOf("gap", loss, metric, split.name)));
        if (!draws) continue;
        const estimate = mean(values);
        const ci = percentileCI(draws, o.ciLevel);
        const ex = excludesZero(ci);
        const about = METRICS[metric]?.about ?? metric;
        gaps.push({
          kind: "gap",
          loss,
          split: split.name,
          level: split.level,
          metric,
          seeds: values.length,
          estimate,
          ci,
          seedSd: std(values),
          seedRange: [Math.min(...values), Math.max(...values)],
          excludesZero: ex,
          ...untested(draws),
          statement:
            `${loss}, split ${split.name}: ${metric} of "${o.focus}" minus the other groups = ${fmt(estimate)} ` +
            `[${fmt(ci[0])}, ${fmt(ci[1])}] (${pct}% CI, ${values.length} seed${values.length > 1 ? "s" : ""})` +
            ` (${about})`,
        });
        perSplit.push({ level: split.level, draws, estimate });
      }
      const levels = perSplit.map((p) => p.level);
      if (new Set(levels).size < 2) continue;
      const slope = olsSlope(
        levels,
        perSplit.map((p) => p.estimate),
      );
      const slopes = new Float64Array(o.bootstrap);
      for (let b = 0; b < o.bootstrap; b++)
        slopes[b] = olsSlope(
          levels,
          perSplit.map((p) => p.draws[b] as number),
        );
      const ci = percentileCI(slopes, o.ciLevel);
      const ex = excludesZero(ci);
      trends.push({
        kind: "trend",
        loss,
        metric,
        slope,
        ci,
        levels,
        excludesZero: ex,
        ...untested(slopes),
        statement:
          `${loss}: as "${o.focus}"'s training share goes from ${fmt(Math.min(...levels))} to ${fmt(Math.max(...levels))}, ` +
          `its ${metric} gap changes by ${fmt(slope / 10)} per 10 points of share [${fmt(ci[0] / 10)}, ${fmt(ci[1] / 10)}] (${pct}% CI)`,
      });
    }
  const primary = o.primary ?? DEFAULT_PRIMARY;
  const alpha = o.alpha ?? 0.05;
  control([...trends, ...gaps], primary, alpha);
  return {
    focus: o.focus,
    ciLevel: o.ciLevel,
    alpha,
    primary,
    frame: pooledFrame(records, {
      focus: o.focus,
      minGroupSamples: o.minGroupSamples ?? 30,
      ...(o.groups && { groups: o.groups }),
    }),
    gaps,
    trends,
    acrossSeeds: acrossSeeds(records),
    warnings: warningsOf(records),
  };
}

/** A claim's p-value before the family is known (control() fills in the rest). */
const untested = (draws: ArrayLike<number>): Tested => ({
  family: "secondary",
  p: bootstrapPValue(draws),
  adjusted: Number.NaN,
  significant: false,
});

const isPrimary = (c: GapClaim | TrendClaim, spec: PrimarySpec[]): boolean =>
  spec.some(
    (s) =>
      s.kind === c.kind &&
      s.metric === c.metric &&
      (s.loss === undefined || s.loss === c.loss) &&
      (s.split === undefined || (c.kind === "gap" && s.split === c.split)),
  );

/**
 * Multiplicity control in place: the claims matching the declared primary family get Holm-adjusted
 * p-values (family-wise error ≤ alpha), all others Benjamini–Hochberg q-values (false-discovery rate
 * ≤ alpha); each statement ends with the adjusted value and what it means.
 */
export function control(claims: (GapClaim | TrendClaim)[], primary: PrimarySpec[], alpha: number): void {
  const prim = claims.filter((c) => isPrimary(c, primary));
  const sec = claims.filter((c) => !isPrimary(c, primary));
  const a = alpha.toString();
  for (const [family, list, adjust] of [
    ["primary", prim, holm],
    ["secondary", sec, bhQValues],
  ] as const) {
    const adj = adjust(list.map((c) => c.p));
    list.forEach((c, i) => {
      c.family = family;
      c.adjusted = adj[i] as number;
      c.significant = c.adjusted <= alpha;
      const what = c.kind === "trend" ? "trend" : "difference";
      const value =
        family === "primary"
          ? `Holm-adjusted p = ${fmtP(c.adjusted)} over ${list.length} primary claim${list.length === 1 ? "" : "s"}`
          : `q = ${fmtP(c.adjusted)} (Benjamini–Hochberg over ${list.length} secondary claims)`;
      c.statement += `; ${value} — ${c.significant ? `a ${what} at the ${a} level` : `no evidence of a ${what} at the ${a} level`}.`;
    });
  }
}

const fmtP = (p: number) => (!Number.isFinite(p) ? "n/a" : p < 0.001 ? "< 0.001" : String(Number(p.toPrecision(2))));

function acrossSeeds(records: CellRecord[]): Analysis["acrossSeeds"] {
  const byKey = new Map<string, { rec: CellRecord; value: number; group: string; metric: string }[]>();
  for (const rec of records)
    for (const row of rec.metrics.rows) {
      const key = [rec.split.name, rec.loss.label, row.group, row.metric].join("\u0000");
      const list = byKey.get(key) ?? [];
      list.push({ rec, value: row.value, group: row.group, metric: row.metric });
      byKey.set(key, list);
    }
  return [...byKey.values()].map((list) => {
    const first = list[0] as (typeof list)[number];
    const v = list.map((x) => x.value).filter(Number.isFinite);
    return {
      split: first.rec.split.name,
      level: first.rec.split.level,
      loss: first.rec.loss.label,
      group: first.group,
      metric: first.metric,
      mean: mean(v),
      sd: std(v),
      min: v.length ? Math.min(...v) : Number.NaN,
      max: v.length ? Math.max(...v) : Number.NaN,
      seeds: v.length,
    };
  });
}

/** The cells' small-sample warnings, each said once with the cells it applies to. */
function warningsOf(records: CellRecord[]): string[] {
  const where = new Map<string, string[]>();
  for (const r of records) for (const w of r.metrics.warnings) where.set(w, [...(where.get(w) ?? []), r.id]);
  return [...where].map(
    ([w, ids]) =>
      `${w} [${ids.length} cell${ids.length > 1 ? "s" : ""}: ${ids.slice(0, 3).join(", ")}${ids.length > 3 ? ", …" : ""}]`,
  );
}

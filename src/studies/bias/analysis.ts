// The study-level analysis: per split and loss, the focus group's gap pooled over seeds with a
// two-stage bootstrap CI (resample seeds, then each seed's own bootstrap replicate), the spread
// across seeds, the trend of the gap across imbalance levels (OLS slope with the same bootstrap),
// and one plain sentence per claim saying whether its CI excludes zero.
import { METRICS } from "./metrics.js";
import type { CellRecord } from "./results.js";
import { excludesZero, mean, olsSlope, percentileCI, rng, sd, seedOf } from "./stats.js";

export interface AnalysisOptions {
  focus: string;
  ciLevel: number;
  bootstrap: number;
  /** Metrics to make claims about (default: all that have a focus gap). */
  metrics?: string[];
}

export interface GapClaim {
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

export interface TrendClaim {
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
        const draws = pooledDraws(cells, metric, o.bootstrap, rng(seedOf("gap", loss, metric, split.name)));
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
          seedSd: sd(values),
          seedRange: [Math.min(...values), Math.max(...values)],
          excludesZero: ex,
          statement:
            `${loss}, split ${split.name}: ${metric} of "${o.focus}" minus the other groups = ${fmt(estimate)} ` +
            `[${fmt(ci[0])}, ${fmt(ci[1])}] (${pct}% CI, ${values.length} seed${values.length > 1 ? "s" : ""}) — ` +
            (ex ? "the CI excludes zero: a real difference" : "the CI includes zero: no evidence of a difference") +
            ` (${about}).`,
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
        statement:
          `${loss}: as "${o.focus}"'s training share goes from ${fmt(Math.min(...levels))} to ${fmt(Math.max(...levels))}, ` +
          `its ${metric} gap changes by ${fmt(slope / 10)} per 10 points of share [${fmt(ci[0] / 10)}, ${fmt(ci[1] / 10)}] (${pct}% CI) — ` +
          (ex ? "the CI excludes zero: a real trend" : "the CI includes zero: no evidence of a trend") +
          ".",
      });
    }
  return {
    focus: o.focus,
    ciLevel: o.ciLevel,
    gaps,
    trends,
    acrossSeeds: acrossSeeds(records),
    warnings: warningsOf(records),
  };
}

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
      sd: sd(v),
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

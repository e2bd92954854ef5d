// The bias study's frame, in the manner of fairlearn's MetricFrame but assembled from finished cells
// (src/eval/groups.ts metricFrame computes one from predictions): one row per training split × loss,
// each group's value with its CI and sample size, and the between-group summaries fairlearn names
// difference (max − min) and ratio (min / max), plus the focus group's gap (focus − rest), each with
// the bootstrap CI the cell computed (metrics.ts). Groups with fewer test units than the
// configured minimum are flagged so the page never compares them silently.
import type { CellRecord } from "./results.js";

export interface FrameValue {
  value: number;
  ci: [number, number];
  n: number;
}

export interface FrameRow {
  split: string;
  level: number;
  loss: string;
  metric: string;
  seeds: number;
  groups: Record<string, FrameValue & { flagged: boolean }>;
  /** max − min over groups (fairlearn `difference()`). */
  difference?: FrameValue;
  /** min / max over groups (fairlearn `ratio()`). */
  ratio?: FrameValue;
  /** focus − mean of the other groups. */
  gap?: FrameValue;
  /** Groups below the minimum sample size in this row. */
  flagged: string[];
}

export interface FrameOptions {
  focus: string;
  minGroupSamples: number;
  metrics?: string[];
  groups?: string[];
}

/**
 * Pools a split × loss row over seeds: the mean of the seeds' values, and (with several seeds) an
 * interval from the lowest to the highest of the seeds' CI ends, so it covers every seed's interval.
 */
function pooled(cells: CellRecord[], metric: string, group: string): FrameValue | undefined {
  const rows = cells.flatMap((c) => c.metrics.rows.filter((r) => r.metric === metric && r.group === group));
  const ok = rows.filter((r) => Number.isFinite(r.value));
  if (ok.length === 0) return undefined;
  const lo = ok.map((r) => r.ciLow).filter(Number.isFinite);
  const hi = ok.map((r) => r.ciHigh).filter(Number.isFinite);
  return {
    value: ok.reduce((a, r) => a + r.value, 0) / ok.length,
    ci: [lo.length ? Math.min(...lo) : Number.NaN, hi.length ? Math.max(...hi) : Number.NaN],
    n: Math.min(...ok.map((r) => r.n)),
  };
}

/** The frame of a study's cell records: each split × loss row pooled over its seeds. */
export function pooledFrame(records: CellRecord[], o: FrameOptions): FrameRow[] {
  const metrics = o.metrics ?? ["accuracy"];
  const splits = [...new Map(records.map((r) => [r.split.name, r.split])).values()].sort((a, b) => a.level - b.level);
  const losses = [...new Set(records.map((r) => r.loss.label))];
  const out: FrameRow[] = [];
  for (const metric of metrics)
    for (const split of splits)
      for (const loss of losses) {
        const cells = records.filter((r) => r.split.name === split.name && r.loss.label === loss);
        if (cells.length === 0) continue;
        const names =
          o.groups ??
          [...new Set(cells.flatMap((c) => c.metrics.rows.map((r) => r.group)))].filter(
            (g) => g !== "all" && !g.includes(":") && !["max-min", "min/max", "worst"].includes(g),
          );
        const groups: FrameRow["groups"] = {};
        const flagged: string[] = [];
        for (const g of names) {
          const v = pooled(cells, metric, g);
          if (!v) continue;
          const small = v.n < o.minGroupSamples;
          if (small) flagged.push(g);
          groups[g] = { ...v, flagged: small };
        }
        const difference = pooled(cells, metric, "max-min");
        const ratio = pooled(cells, metric, "min/max");
        const gap = pooled(cells, metric, `gap:${o.focus}-rest`);
        out.push({
          split: split.name,
          level: split.level,
          loss,
          metric,
          seeds: cells.length,
          groups,
          ...(difference && { difference }),
          ...(ratio && { ratio }),
          ...(gap && { gap }),
          flagged,
        });
      }
  return out;
}

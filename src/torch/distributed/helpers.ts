// Small helpers for training commands: metrics averaged over ranks and rank-0-only side effects
// (logs, checkpoints). Outside a distributed run they act as in a single process.
import { tensor } from "../creation.js";
import { tidy } from "../scope.js";
import { getDefaultGroup, getRank, type ProcessGroup } from "./process-group.js";

export type MetricOp = "mean" | "sum" | "max" | "min";

/** Reduces each named number over ranks (one all-reduce in float64 for all of them). */
export async function reduceMetrics<K extends string>(
  metrics: Record<K, number>,
  op: MetricOp = "mean",
  group?: ProcessGroup,
): Promise<Record<K, number>> {
  const g = group ?? getDefaultGroup();
  if (!g || g.worldSize === 1) return { ...metrics };
  const keys = Object.keys(metrics) as K[];
  const values = await tidy(async () => {
    const t = tensor(
      keys.map((k) => metrics[k]),
      { dtype: "float64" },
    );
    await g.allReduce(t, op === "mean" ? "avg" : op);
    return t.toNumbers();
  });
  return Object.fromEntries(keys.map((k, i) => [k, values[i] as number])) as Record<K, number>;
}

/**
 * Σ sum / Σ count over ranks: the exact global mean when ranks hold different numbers of samples
 * (e.g. accuracy over an evaluation set that does not divide evenly).
 */
export async function globalMean(sum: number, count: number, group?: ProcessGroup): Promise<number> {
  const r = await reduceMetrics({ sum, count }, "sum", group);
  return r.count === 0 ? Number.NaN : r.sum / r.count;
}

/** True on rank 0 (and in a single process): the one that writes logs and checkpoints. */
export const isMainProcess = (): boolean => getRank() === 0;

/** Runs fn on rank 0 only; other ranks get undefined. */
export function rankZeroOnly<T>(fn: () => T): T | undefined {
  return isMainProcess() ? fn() : undefined;
}

/** console.log on rank 0 only. */
export function rankZeroLog(...args: unknown[]): void {
  if (isMainProcess()) console.log(...args);
}

// Fairness pictures: a metric per demographic group with confidence-interval whiskers, and the
// accuracy gap between groups as training imbalance grows, with a CI band.
import { type ChartOptions, chart, nominal, q, type VlSpec } from "./common.js";

export interface GroupValue {
  group: string;
  value: number;
  /** Lower and upper ends of the confidence interval (e.g. bootstrap 95%). */
  lo?: number;
  hi?: number;
  /** Optional second grouping (e.g. model or training mix), drawn side by side. */
  series?: string;
}

export function groupBars(rows: GroupValue[], opts: Partial<ChartOptions> & { percent?: boolean } = {}): VlSpec {
  const percent = opts.percent ?? rows.every((r) => r.value >= 0 && r.value <= 1);
  const yTitle = opts.yTitle ?? (percent ? "accuracy (%)" : "value");
  const hasSeries = rows.some((r) => r.series !== undefined);
  const values = rows.map((r) => ({ ...r, series: r.series ?? "all", lo: r.lo ?? r.value, hi: r.hi ?? r.value }));
  const y = q("value", yTitle, percent ? { axis: { format: ".1~%" }, scale: { domain: [0, 1] } } : {});
  const x = nominal("group", opts.xTitle ?? "group", { axis: { labelAngle: -30 }, sort: null });
  const offset = hasSeries ? { xOffset: nominal("series", "series") } : {};
  return chart(
    { title: "Accuracy per group (95% CI)", xTitle: "group", yTitle, ...opts },
    {
      data: { values },
      encoding: { x, ...offset },
      layer: [
        {
          mark: { type: "bar", tooltip: true },
          encoding: { y, ...(hasSeries ? { color: nominal("series", "series") } : { color: { value: "#4c78a8" } }) },
        },
        {
          mark: { type: "rule", color: "black", strokeWidth: 1.5 },
          encoding: { y: q("lo", yTitle), y2: { field: "hi" } },
        },
        {
          mark: { type: "tick", color: "black", thickness: 1.5, size: 10 },
          encoding: { y: q("lo", yTitle) },
        },
        {
          mark: { type: "tick", color: "black", thickness: 1.5, size: 10 },
          encoding: { y: q("hi", yTitle) },
        },
      ],
    },
  );
}

export interface GapPoint {
  imbalance: number;
  gap: number;
  lo?: number;
  hi?: number;
  series: string;
}

/** Gap (e.g. accuracy of majority minus minority group) against the majority's share of training data. */
export function gapVsImbalance(rows: GapPoint[], opts: Partial<ChartOptions> = {}): VlSpec {
  const values = rows.map((r) => ({ ...r, lo: r.lo ?? r.gap, hi: r.hi ?? r.gap }));
  const xTitle = opts.xTitle ?? "majority share of training data (%)";
  // A short axis title: vega over-estimates text length without a canvas and pads long rotated titles.
  const yTitle = opts.yTitle ?? "accuracy gap (pp)";
  // Gaps are differences of fractions; ticks show them in percentage points.
  const yAxis = { axis: { labelExpr: "format(datum.value * 100, '~r') + ' pp'" } };
  const x = q("imbalance", xTitle, { axis: { format: ".1~%" }, scale: { zero: false } });
  return chart(
    {
      title: "Group gap vs training imbalance",
      subtitle: "gap = majority-group accuracy − minority-group accuracy; band = 95% CI",
      xTitle,
      yTitle,
      ...opts,
    },
    {
      data: { values },
      encoding: { x, color: nominal("series", "series") },
      layer: [
        { mark: { type: "area", opacity: 0.18 }, encoding: { y: q("lo", yTitle, yAxis), y2: { field: "hi" } } },
        { mark: { type: "line", point: true, strokeWidth: 2 }, encoding: { y: q("gap", yTitle, yAxis) } },
        {
          data: { values: [{ zero: 0 }] },
          mark: { type: "rule", color: "#888", strokeDash: [3, 3] },
          encoding: { y: { field: "zero", type: "quantitative" } },
        },
      ],
    },
  );
}

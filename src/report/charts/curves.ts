// Training curves: loss per step (several series), accuracy per epoch, and any x/y line series.
import { type ChartOptions, chart, nominal, percentAxis, q, type VlSpec } from "./common.js";

export interface Point {
  x: number;
  y: number;
  series: string;
}

/** Generic multi-series line chart. */
export function lineChart(
  points: Point[],
  opts: ChartOptions & { logY?: boolean; percentY?: boolean; points?: boolean; integerX?: boolean },
): VlSpec {
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  return chart(opts, {
    data: { values: finite },
    // Short series get point markers, so a single logged value is still visible.
    mark: { type: "line", point: opts.points ?? finite.length <= 60, strokeWidth: 2, clip: true },
    encoding: {
      x: q("x", opts.xTitle ?? "x", opts.integerX ? { axis: { tickMinStep: 1, format: "d" } } : {}),
      y: q("y", opts.yTitle ?? "y", {
        ...(opts.logY && { scale: { type: "log" } }),
        ...(opts.percentY && percentAxis),
        ...(!opts.logY && !opts.percentY && { scale: { zero: false } }),
      }),
      color: nominal("series", "series"),
    },
  });
}

/** Loss per optimisation step; one line per tag (e.g. pretrain/loss, finetune/loss). */
export const lossCurves = (points: Point[], opts: Partial<ChartOptions> = {}): VlSpec =>
  lineChart(points, {
    title: "Training loss",
    xTitle: "step (batches)",
    yTitle: "loss (nats per example)",
    ...opts,
  });

/** Accuracy per epoch in [0, 1], shown as percent. */
export const accuracyCurve = (points: Point[], opts: Partial<ChartOptions> = {}): VlSpec =>
  lineChart(points, {
    title: "Validation accuracy",
    xTitle: "epoch",
    yTitle: "accuracy (%)",
    percentY: true,
    points: true,
    integerX: true,
    ...opts,
  });

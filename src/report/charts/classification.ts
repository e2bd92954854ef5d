// Classification pictures: confusion matrix, class distribution, confidence histograms, reliability.
import { type ChartOptions, chart, nominal, percentAxis, q, type VlSpec } from "./common.js";

/** Rows are true classes, columns predicted; cells coloured by row-normalised rate, labelled with counts. */
export function confusionMatrix(classes: string[], matrix: number[][], opts: Partial<ChartOptions> = {}): VlSpec {
  if (matrix.length !== classes.length || matrix.some((r) => r.length !== classes.length)) {
    throw new RangeError(
      `confusion matrix must be ${classes.length}×${classes.length} to match its ${classes.length} class names`,
    );
  }
  const cells = matrix.flatMap((row, i) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((count, j) => ({
      truth: classes[i],
      predicted: classes[j],
      count,
      rate: total ? count / total : 0,
    }));
  });
  const side = Math.min(520, Math.max(200, classes.length * 48));
  const order = { sort: classes };
  return chart(
    { title: "Confusion matrix", xTitle: "predicted class", yTitle: "true class", width: side, height: side, ...opts },
    {
      data: { values: cells },
      encoding: {
        x: nominal("predicted", opts.xTitle ?? "predicted class", { ...order, axis: { labelAngle: -40 } }),
        y: nominal("truth", opts.yTitle ?? "true class", order),
      },
      layer: [
        {
          mark: "rect",
          encoding: {
            color: q("rate", "% of true class", {
              scale: { scheme: "blues", domain: [0, 1] },
              legend: { format: ".1~%" },
            }),
          },
        },
        {
          mark: { type: "text", fontSize: classes.length > 10 ? 9 : 12 },
          encoding: {
            text: { field: "count", type: "quantitative" },
            color: { condition: { test: "datum.rate > 0.5", value: "white" }, value: "black" },
          },
        },
      ],
    },
  );
}

/** Images per class, optionally split (train/val/test) as grouped bars. */
export function classDistribution(
  rows: { label: string; count: number; split?: string }[],
  opts: Partial<ChartOptions> = {},
): VlSpec {
  const split = rows.some((r) => r.split !== undefined);
  return chart(
    { title: "Class distribution", xTitle: "class", yTitle: "count (images)", ...opts },
    {
      data: { values: rows.map((r) => ({ ...r, split: r.split ?? "all" })) },
      mark: { type: "bar", tooltip: true },
      encoding: {
        x: nominal("label", opts.xTitle ?? "class", { axis: { labelAngle: -40 }, sort: null }),
        y: q("count", opts.yTitle ?? "count (images)"),
        ...(split && { xOffset: nominal("split", "split"), color: nominal("split", "split") }),
      },
    },
  );
}

/** Overlaid histograms of confidence (max softmax probability), e.g. seen vs unseen identities. */
export function confidenceHistogram(
  groups: Record<string, number[]>,
  opts: Partial<ChartOptions> & { bins?: number } = {},
): VlSpec {
  const values = Object.entries(groups).flatMap(([group, xs]) => xs.map((confidence) => ({ group, confidence })));
  return chart(
    {
      title: "Confidence distribution",
      xTitle: "confidence (max softmax probability)",
      yTitle: "count (images)",
      ...opts,
    },
    {
      data: { values },
      mark: { type: "bar", opacity: 0.55, binSpacing: 0 },
      encoding: {
        x: q("confidence", opts.xTitle ?? "confidence (max softmax probability)", {
          bin: { maxbins: opts.bins ?? 20, extent: [0, 1] },
        }),
        y: { aggregate: "count", type: "quantitative", title: opts.yTitle ?? "count (images)", stack: null },
        color: nominal("group", "group"),
      },
    },
  );
}

/**
 * Accuracy per confidence bin (bars spanning the bin) against the diagonal of perfect calibration;
 * dots mark each bin's mean confidence. Bins default to equal width over [0, 1] (Guo et al. 2017, §2).
 */
export function reliabilityDiagram(
  bins: { confidence: number; accuracy: number; count: number; lo?: number; hi?: number }[],
  opts: Partial<ChartOptions> & { ece?: number } = {},
): VlSpec {
  const n = bins.length;
  const values = bins.map((b, i) => ({ ...b, lo: b.lo ?? i / n, hi: b.hi ?? (i + 1) / n })).filter((b) => b.count > 0);
  const subtitle =
    opts.ece !== undefined ? `expected calibration error (ECE) ${(opts.ece * 100).toFixed(2)}%` : undefined;
  const xTitle = opts.xTitle ?? "confidence (%)";
  const yTitle = opts.yTitle ?? "accuracy in bin (%)";
  return chart(
    { title: "Reliability diagram", xTitle, yTitle, width: 380, height: 380, ...(subtitle && { subtitle }), ...opts },
    {
      layer: [
        {
          data: { values },
          mark: { type: "rect", color: "#4c78a8", opacity: 0.8, stroke: "white", tooltip: true },
          encoding: {
            x: q("lo", xTitle, percentAxis),
            x2: { field: "hi" },
            y: q("accuracy", yTitle, percentAxis),
            y2: { datum: 0 },
          },
        },
        {
          data: {
            values: [
              { a: 0, b: 0 },
              { a: 1, b: 1 },
            ],
          },
          mark: { type: "line", color: "#d62728", strokeDash: [5, 4], strokeWidth: 1.5 },
          encoding: { x: q("a", xTitle, percentAxis), y: q("b", yTitle, percentAxis) },
        },
        {
          data: { values },
          mark: { type: "point", filled: true, color: "black", size: 30 },
          encoding: {
            x: q("confidence", xTitle, percentAxis),
            y: q("accuracy", yTitle, percentAxis),
            tooltip: [
              q("confidence", "mean confidence", { format: ".3f" }),
              q("accuracy", "accuracy", { format: ".3f" }),
              q("count", "images"),
            ],
          },
        },
      ],
    },
  );
}

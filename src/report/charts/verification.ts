// Verification and open-set identification pictures: ROC and DET per group, identified rate vs threshold.
import { type ChartOptions, chart, nominal, q, type VlSpec } from "./common.js";

/** ROC: true accept rate against false accept rate (log x, so the low-FAR region the field reports is visible). */
export function rocCurve(
  rows: { fpr: number; tpr: number; group: string }[],
  opts: Partial<ChartOptions> & { logX?: boolean } = {},
): VlSpec {
  const logX = opts.logX ?? true;
  const values = logX ? rows.filter((r) => r.fpr > 0) : rows;
  return chart(
    { title: "ROC per group", xTitle: "false accept rate (FAR)", yTitle: "true accept rate (TAR, %)", ...opts },
    {
      data: { values },
      mark: { type: "line", strokeWidth: 2, clip: true, interpolate: "step-after" },
      encoding: {
        x: q(
          "fpr",
          opts.xTitle ?? "false accept rate (FAR)",
          logX ? { scale: { type: "log" }, axis: { format: "~e" } } : { axis: { format: ".1~%" } },
        ),
        y: q("tpr", opts.yTitle ?? "true accept rate (TAR, %)", {
          axis: { format: ".1~%" },
          scale: { domain: [0, 1] },
        }),
        color: nominal("group", "group"),
        order: q("fpr", "FAR"),
      },
    },
  );
}

/** DET: false non-match rate against false match rate, both on log axes (ISO/IEC 19795-1 convention). */
export function detCurve(
  rows: { fmr: number; fnmr: number; group: string }[],
  opts: Partial<ChartOptions> = {},
): VlSpec {
  return chart(
    { title: "DET per group", xTitle: "false match rate (FMR)", yTitle: "false non-match rate (FNMR)", ...opts },
    {
      data: { values: rows.filter((r) => r.fmr > 0 && r.fnmr > 0) },
      mark: { type: "line", strokeWidth: 2, clip: true },
      encoding: {
        x: q("fmr", opts.xTitle ?? "false match rate (FMR)", { scale: { type: "log" }, axis: { format: "~e" } }),
        y: q("fnmr", opts.yTitle ?? "false non-match rate (FNMR)", { scale: { type: "log" }, axis: { format: "~e" } }),
        color: nominal("group", "group"),
        order: q("fmr", "FMR"),
      },
    },
  );
}

/** Identified rate (correct identity above the threshold) as the acceptance threshold varies, per split. */
export function identifiedRate(
  rows: { threshold: number; rate: number; split: string }[],
  opts: Partial<ChartOptions> = {},
): VlSpec {
  return chart(
    {
      title: "Identified rate vs threshold",
      xTitle: "acceptance threshold (cosine similarity)",
      yTitle: "identified rate (%)",
      ...opts,
    },
    {
      data: { values: rows },
      mark: { type: "line", strokeWidth: 2, point: rows.length < 60 },
      encoding: {
        x: q("threshold", opts.xTitle ?? "acceptance threshold (cosine similarity)", { scale: { zero: false } }),
        y: q("rate", opts.yTitle ?? "identified rate (%)", { axis: { format: ".1~%" }, scale: { domain: [0, 1] } }),
        color: nominal("split", "split"),
      },
    },
  );
}

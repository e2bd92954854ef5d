// The findings page of a bias study, from its summary.json: sentences generated from the data (the
// primary family with Holm-adjusted p, the largest gaps with q-values, the trend with training share,
// whether a planted effect was found), the primary claims table, the metric frame (split × loss rows,
// each group's value, difference and ratio with CIs; small groups flagged), the seed's figures first,
// every claim in the sortable table, and the protocol.
import type { GapClaim, PrimarySpec, TrendClaim } from "../../studies/bias/analysis.js";
import type { BiasConfig } from "../../studies/bias/config.js";
import type { FrameRow } from "../../studies/bias/frame.js";
import { formatNum, formatValue } from "../format.js";
import type { Cell, Claim, PageInput, PageTable } from "../page.js";

export interface BiasSummary {
  kind: "bias-study";
  study: string;
  data: { source: string; attribute: string; groups: string[]; planted?: { group: string; strength: number } };
  focus: string;
  ciLevel: number;
  alpha: number;
  primary: PrimarySpec[];
  frame: FrameRow[];
  cells: { total: number; done: number };
  failed: { id: string; error: string }[];
  pending: string[];
  claims: string[];
  trends: TrendClaim[];
  gaps: GapClaim[];
  warnings: string[];
  config: BiasConfig;
}

/** Chart ids the bias study gives the seed's figures (studies/bias/report.ts). */
export const BIAS_CHART_IDS = {
  gap: (metric: string) => `gap-${metric}`,
  byGroup: (loss: string, metric: string) => `${loss}-${metric}-by-group`,
  confidence: (loss: string, split: string, which: "seen" | "unseen") =>
    `${loss}-${split.replace(/[^\w.-]+/g, "-")}-confidence-${which}`,
};

const pts = (x: number, signed = true) => formatValue(x, "pp", signed);
const ciPts = (ci: [number, number]) => `[${formatValue(ci[0], "pct")}, ${formatValue(ci[1], "pct")}]`;
const pText = (p: number) => (p < 0.001 ? "< 0.001" : formatValue(p, "p"));
/** Trend slopes are per unit of share; the page says "per 10 points of share". */
const per10 = (x: number) => x / 10;

function claimRow(c: GapClaim | TrendClaim, focus: string, alpha: number): Claim {
  const trend = c.kind === "trend";
  const est = trend ? per10(c.slope) : c.estimate;
  const ci: [number, number] = trend ? [per10(c.ci[0]), per10(c.ci[1])] : c.ci;
  const what = trend ? "trend" : "difference";
  return {
    family: c.family,
    kind: trend ? "trend (per 10 pp share)" : "gap",
    metric: c.metric,
    split: trend ? "all" : c.split,
    loss: c.loss,
    group: `${focus} − rest`,
    estimate: { value: est, unit: "pp", ...(ci.every(Number.isFinite) && { ci }) },
    p: Number.isFinite(c.p) ? c.p : null,
    adjusted: Number.isFinite(c.adjusted) ? c.adjusted : null,
    verdict: c.significant
      ? `${what} (${c.family === "primary" ? "Holm p" : "q"} ≤ ${alpha})`
      : `no evidence (${c.family === "primary" ? "Holm p" : "q"} > ${alpha})`,
  };
}

export function biasPage(s: BiasSummary): PageInput {
  const alpha = s.alpha;
  const claims = [...s.trends, ...s.gaps];
  const primary = claims.filter((c) => c.family === "primary");
  const secondary = claims.filter((c) => c.family === "secondary");
  return {
    kind: "bias-study",
    findings: findings(s, primary, secondary),
    tables: [primaryTable(s, primary), ...frameTables(s)],
    leadCharts: leadCharts(s),
    warnings: [
      ...s.failed.map((f) => `cell ${f.id} failed: ${f.error}`),
      ...(s.pending.length ? [`${s.pending.length} cells not run yet (rerun the study to finish them)`] : []),
      ...s.warnings,
    ],
    claims: claims.map((c) => claimRow(c, s.focus, alpha)),
    protocol: protocol(s),
  };
}

function findings(s: BiasSummary, primary: (GapClaim | TrendClaim)[], secondary: (GapClaim | TrendClaim)[]): string[] {
  const out: string[] = [];
  const f = `"${s.focus}"`;
  for (const c of primary) {
    const found = c.significant ? "found" : "not found";
    if (c.kind === "trend")
      out.push(
        `Primary, ${c.loss}: the ${c.metric} gap of ${f} changes by ${pts(per10(c.slope))} points per 10 points of its share of the training identities ${ciPts([per10(c.ci[0]), per10(c.ci[1])])}, Holm p = ${pText(c.adjusted)} — ${found}.`,
      );
    else
      out.push(
        `Primary, ${c.loss} at split ${c.split}: ${f} minus the rest, ${c.metric} = ${pts(c.estimate)} points ${ciPts(c.ci)}, Holm p = ${pText(c.adjusted)} — ${found}.`,
      );
  }
  const accGaps = s.gaps.filter((g) => g.metric === "accuracy" && Number.isFinite(g.estimate));
  const largest = [...accGaps].sort((a, b) => Math.abs(b.estimate) - Math.abs(a.estimate)).slice(0, 2);
  if (largest.length)
    out.push(
      `Largest accuracy gaps: ${largest
        .map(
          (g) =>
            `${g.loss} at split ${g.split}, ${f} minus the rest = ${pts(g.estimate)} points ${ciPts(g.ci)} (${g.family === "primary" ? "Holm p" : "q"} = ${pText(g.adjusted)})`,
        )
        .join("; ")}.`,
    );
  const sig = secondary.filter((c) => c.significant).length;
  if (secondary.length)
    out.push(
      `${sig} of ${secondary.length} secondary claims have q ≤ ${s.alpha} (Benjamini–Hochberg); tested one by one at p ≤ ${s.alpha}, ${secondary.length * s.alpha < 1 ? "fewer than one" : `about ${Math.round(secondary.length * s.alpha)}`} would pass by chance alone if there were no effects.`,
    );
  const planted = s.data.planted;
  if (planted) {
    // Gaps are focus − rest: a planted handicap on the focus group shows as a negative accuracy gap.
    const sign = planted.group === s.focus ? -1 : 1;
    const hits = accGaps.filter((g) => g.significant && Math.sign(g.estimate) === sign);
    // A trend over the share is a different claim from a planted constant handicap: it is named, not counted.
    const trendHit = primary.some((c) => c.kind === "trend" && c.significant && c.metric === "accuracy");
    // The strongest accuracy gap in the planted direction, with its numbers, found or not.
    const best = accGaps
      .filter((g) => Math.sign(g.estimate) === sign)
      .sort((a, b) => a.adjusted - b.adjusted || Math.abs(b.estimate) - Math.abs(a.estimate))[0];
    const numbers = best
      ? ` (strongest: ${best.loss} at split ${best.split}, ${pts(best.estimate)} points ${ciPts(best.ci)}, ${best.family === "primary" ? "Holm p" : "q"} = ${pText(best.adjusted)})`
      : "";
    const gaps = `${hits.length || "none"} of ${accGaps.length} accuracy gaps significant in its direction (adjusted p ≤ ${s.alpha})`;
    out.push(
      `Planted effect (group "${planted.group}" made harder, strength ${planted.strength}): ${
        hits.length ? `found — ${gaps}${numbers}` : `not found at this study's size — ${gaps}${numbers}`
      }${trendHit ? "; a primary accuracy trend over the training share holds, which is a separate claim" : ""}.`,
    );
  }
  const flagged = new Set(s.frame.flatMap((r) => r.flagged.map((g) => `${g} (${r.split})`)));
  if (flagged.size)
    out.push(
      `Below the minimum of ${s.config.eval.minGroupSamples} test units, flagged and not compared: ${[...flagged].slice(0, 6).join(", ")}${flagged.size > 6 ? ", …" : ""}.`,
    );
  return out;
}

function primaryTable(s: BiasSummary, primary: (GapClaim | TrendClaim)[]): PageTable {
  return {
    id: "primary",
    title: `Primary claims (declared family of ${primary.length}; Holm-adjusted): ${primary.some((c) => c.kind === "trend") ? `change of the gap of "${s.focus}" per 10 points of its training share` : "gaps"}`,
    role: "headline",
    columns: [
      { label: "loss" },
      { label: "metric" },
      { label: "split" },
      { label: "estimate [95% CI]", unit: "pp" },
      { label: "p" },
      { label: "Holm p" },
      { label: "verdict" },
    ],
    rows: primary.map((c): Cell[] => {
      const trend = c.kind === "trend";
      const ci: [number, number] = trend ? [per10(c.ci[0]), per10(c.ci[1])] : c.ci;
      return [
        c.loss,
        c.metric,
        trend ? "trend over all" : c.split,
        { value: trend ? per10(c.slope) : c.estimate, unit: "pp", ...(ci.every(Number.isFinite) && { ci }) },
        { value: Number.isFinite(c.p) ? c.p : null, unit: "p" },
        { value: Number.isFinite(c.adjusted) ? c.adjusted : null, unit: "p" },
        c.significant ? "found" : "not found",
      ];
    }),
    notes: [
      `p: two-sided bootstrap p-value of "no ${primary[0]?.kind ?? "trend"}"; Holm's step-down adjustment keeps the chance of any false primary finding ≤ ${s.alpha}. Intervals are unadjusted ${Math.round(s.ciLevel * 100)}% CIs, so one can exclude zero while the verdict, which follows the Holm p, is "not found".`,
    ],
  };
}

function frameTables(s: BiasSummary): PageTable[] {
  const groups = s.data.groups;
  const metrics = [...new Set(s.frame.map((r) => r.metric))];
  return metrics.map((metric) => {
    const rows = s.frame.filter((r) => r.metric === metric);
    const seeds = Math.max(1, ...rows.map((r) => r.seeds));
    const v = (x: { value: number; ci: [number, number] } | undefined, unit: "pct" | "pp" | "num"): Cell =>
      x && Number.isFinite(x.value) ? { value: x.value, unit, ...(x.ci.every(Number.isFinite) && { ci: x.ci }) } : null;
    return {
      id: `metric-frame-${metric}`.replace(/[^\w.-]+/g, "-"),
      title: `Metric frame: ${metric} by ${s.data.attribute} (${Math.round(s.ciLevel * 100)}% bootstrap CI)`,
      role: "frame" as const,
      columns: [
        { label: "split" },
        { label: "loss" },
        ...groups.map((g) => ({ label: g, unit: "%" })),
        { label: "difference max − min", unit: "pp" },
        { label: "ratio min / max" },
        { label: `gap ${s.focus} − rest`, unit: "pp" },
      ],
      rows: rows.map((r): Cell[] => [
        r.split,
        r.loss,
        ...groups.map((g): Cell => {
          const x = r.groups[g];
          if (!x) return null;
          return x.flagged ? `${formatNum({ value: x.value, unit: "pct" })} ⚑ n = ${x.n}` : v(x, "pct");
        }),
        r.flagged.length ? "not compared ⚑" : v(r.difference, "pp"),
        r.flagged.length ? "not compared ⚑" : v(r.ratio, "num"),
        r.flagged.length ? "not compared ⚑" : v(r.gap, "pp"),
      ]),
      notes: [
        `Rows: training split (shares of ${groups.join("/")}) × loss. Difference and ratio as fairlearn's MetricFrame (max − min, min / max over groups).` +
          (seeds > 1 ? ` Values are means over ${seeds} seeds; intervals span the seeds' own CIs.` : ""),
        `⚑: fewer than ${s.config.eval.minGroupSamples} test units (eval.minGroupSamples) — shown, not compared.`,
      ],
    };
  });
}

function leadCharts(s: BiasSummary): string[][] {
  const losses = [...new Set(s.frame.map((r) => r.loss))];
  const splits = [...new Map(s.frame.map((r) => [r.split, r.level])).entries()].sort((a, b) => a[1] - b[1]);
  const extreme = splits[0]?.[0];
  return [
    [BIAS_CHART_IDS.gap("accuracy")],
    losses.map((l) => BIAS_CHART_IDS.byGroup(l, "accuracy")),
    ...(extreme && losses[0]
      ? [
          [
            BIAS_CHART_IDS.confidence(losses[0], extreme, "seen"),
            BIAS_CHART_IDS.confidence(losses[0], extreme, "unseen"),
          ],
        ]
      : []),
    losses.map((l) => BIAS_CHART_IDS.byGroup(l, "identified_rate_raw")),
  ];
}

function protocol(s: BiasSummary): { term: string; detail: string }[] {
  const c = s.config;
  const primary = s.primary
    .map(
      (p) =>
        `${p.kind} of the ${p.metric} gap of "${s.focus}"${p.loss ? ` for ${p.loss}` : " per loss"}${p.split ? ` at split ${p.split}` : ""}`,
    )
    .join("; ");
  return [
    {
      term: "data",
      detail: `${s.data.source}; attribute ${s.data.attribute} (${s.data.groups.join(", ")}); ${c.data.identities} training identities per split × ${c.data.copies} augmented copies; ${c.data.unseen} unseen people; ${c.data.imageSize} px`,
    },
    {
      term: "grid",
      detail: `${s.cells.done} of ${s.cells.total} cells done: splits × losses (${[...new Set(s.frame.map((r) => r.loss))].join(", ")}) × seeds (${c.seeds.join(", ")})`,
    },
    {
      term: "training",
      detail: `${c.model.backbone} backbone, ${c.train.epochs} epochs, batch ${c.train.batchSize}, SGD lr ${c.train.lr}, momentum ${c.train.momentum}, weight decay ${c.train.weightDecay}, augmentation ${c.train.augment ? "on" : "off"}`,
    },
    {
      term: "verification",
      detail: `cosine similarity between unseen people's images; one global threshold where the whole population's FMR = ${c.eval.far} (not per group); ${c.eval.impostorsPerProbe} impostors per probe; one embedding per image, no test-time flip averaging; ${c.data.imageSize} px`,
    },
    {
      term: "open set / identified",
      detail: `identified = max softmax ≥ ${c.eval.identifiedThreshold} (the seed's rule); open-set threshold at FPIR = ${c.eval.fpir}; temperature scaling ${c.eval.temperatureScaling ? "on (fitted per model)" : "off"}; ECE with ${c.eval.eceBins} bins`,
    },
    {
      term: "intervals and p-values",
      detail: `${Math.round(s.ciLevel * 100)}% percentile bootstrap (${c.eval.bootstrap} draws; test units within groups, then seeds); p = two-sided bootstrap p-value`,
    },
    { term: "primary family", detail: `analysis.primary: ${primary}; Holm-adjusted, α = ${s.alpha}` },
    { term: "secondary claims", detail: `every other gap and trend; Benjamini–Hochberg q-values, α = ${s.alpha}` },
    {
      term: "minimum sample size",
      detail: `${c.eval.minGroupSamples} test units per group (eval.minGroupSamples); smaller groups are flagged`,
    },
  ];
}

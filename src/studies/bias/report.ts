// The bias study's pictures as report.json chart descriptors (contract: src/report/descriptors.ts):
// per-group accuracy bars per split (seed Figs 3, 6, 8), confidence histograms seen vs unseen
// (Figs 4, 5), identified rate per split (Fig 9) and per group, ROC/DET per group, reliability,
// gap-vs-imbalance lines with CI bands. The claims, metric frame and findings are the report's findings
// page (src/report/findings/bias.ts), built from summary.json.
import type { Analysis } from "./analysis.js";
import type { CellRecord } from "./results.js";

type Desc = { kind: string; title: string; data: unknown; [k: string]: unknown };

const GAP_METRICS: [string, string][] = [
  ["accuracy", "accuracy gap"],
  ["confidence_unseen", "unseen-people confidence gap"],
  ["identified_rate", "identified-rate gap (unseen, τ, temperature-scaled)"],
  ["fnmr", "FNMR gap at the global threshold"],
  ["fmr", "FMR gap at the global threshold"],
  ["fnir", "open-set FNIR gap"],
  ["ece", "ECE gap"],
];

export function studyCharts(
  records: CellRecord[],
  analysis: Analysis,
  o: { identifiedThreshold: number; groups: string[] },
): Desc[] {
  const out: Desc[] = [];
  const losses = [...new Set(records.map((r) => r.loss.label))];
  const splits = [...new Map(records.map((r) => [r.split.name, r.split])).values()].sort((a, b) => a.level - b.level);
  const cellsOf = (loss: string, split: string) =>
    records.filter((r) => r.loss.label === loss && r.split.name === split);
  const seedNote = (n: number) => (n > 1 ? `mean of ${n} seeds, whiskers span the seeds' 95% CIs` : "95% bootstrap CI");

  for (const loss of losses) {
    // Per-group bars per split: accuracy and the seed's identified rate.
    for (const [metric, what, percent] of [
      ["accuracy", "Closed-set accuracy", true],
      ["identified_rate_raw", `Unseen people "identified" (raw max softmax ≥ ${o.identifiedThreshold})`, true],
      ["identified_rate", `Unseen people identified after temperature scaling (≥ ${o.identifiedThreshold})`, true],
    ] as const) {
      const data = splits.flatMap((s) => {
        const cells = cellsOf(loss, s.name);
        return [...o.groups, "all"].flatMap((g) => {
          const rows = cells.flatMap((c) => c.metrics.rows.filter((r) => r.metric === metric && r.group === g));
          if (rows.length === 0 || rows.some((r) => !Number.isFinite(r.value))) return [];
          const value = rows.reduce((a, r) => a + r.value, 0) / rows.length;
          const lo = Math.min(...rows.map((r) => r.ciLow).filter(Number.isFinite));
          const hi = Math.max(...rows.map((r) => r.ciHigh).filter(Number.isFinite));
          return [
            { group: g, value, series: s.name, ...(Number.isFinite(lo) && { lo }), ...(Number.isFinite(hi) && { hi }) },
          ];
        });
      });
      if (data.length)
        out.push({
          kind: "group-bars",
          id: `${loss}-${metric}-by-group`,
          title: `${what} per group, ${loss}`,
          subtitle: `bars per training split; ${seedNote(cellsOf(loss, splits[0]?.name ?? "").length)}`,
          yTitle: metric === "accuracy" ? "accuracy (%)" : "share of unseen people (%)",
          percent,
          data,
        });
    }
    for (const s of splits) {
      const cells = cellsOf(loss, s.name);
      if (cells.length === 0) continue;
      const tag = `${loss}-${s.name.replace(/[^\w.-]+/g, "-")}`;
      // Confidence distributions, pooled over seeds: seen test faces vs unseen people.
      for (const which of ["seen", "unseen"] as const) {
        const data: Record<string, number[]> = {};
        for (const c of cells)
          for (const [g, xs] of Object.entries(c.metrics.curves.confidence[which]))
            data[g] = [...(data[g] ?? []), ...xs];
        out.push({
          kind: "confidence-hist",
          id: `${tag}-confidence-${which}`,
          title: `Confidence on ${which === "seen" ? "seen test faces" : "unseen people"}, ${loss}, split ${s.name}`,
          subtitle: "max softmax after per-model temperature scaling",
          data,
        });
      }
      // ROC and DET of cosine verification among unseen people, per group (first seed).
      const c0 = cells[0] as CellRecord;
      const ts = c0.metrics.curves.rocThresholds;
      const roc = c0.metrics.curves.roc.flatMap((r) =>
        ts.flatMap((_, i) => {
          const fmr = r.fmr[i];
          const fnmr = r.fnmr[i];
          return fmr == null || fnmr == null ? [] : [{ group: r.group, fpr: fmr, tpr: 1 - fnmr, fmr, fnmr }];
        }),
      );
      out.push({
        kind: "roc",
        id: `${tag}-roc`,
        title: `Verification ROC per group, ${loss}, split ${s.name}`,
        subtitle: `unseen people, cosine similarity, seed ${c0.seed}`,
        data: roc.map(({ group, fpr, tpr }) => ({ group, fpr, tpr })),
      });
      out.push({
        kind: "det",
        id: `${tag}-det`,
        title: `Verification DET per group, ${loss}, split ${s.name}`,
        subtitle: `unseen people, seed ${c0.seed}`,
        data: roc.map(({ group, fmr, fnmr }) => ({ group, fmr, fnmr })),
      });
      const rel = c0.metrics.curves.reliability.find((r) => r.group === "all");
      if (rel)
        out.push({
          kind: "reliability",
          id: `${tag}-reliability`,
          title: `Reliability on seen test faces, ${loss}, split ${s.name}`,
          data: {
            bins: rel.bins
              .filter((b) => b.n > 0)
              .map((b) => ({ confidence: b.conf as number, accuracy: b.acc as number, count: b.n })),
            ece: c0.metrics.rows.find((r) => r.metric === "ece" && r.group === "all")?.value ?? undefined,
          },
        });
    }
    // Identified rate (FPIR on unseen people) over the whole threshold range, one line per split.
    const idRows = splits.flatMap((s) => {
      const c = cellsOf(loss, s.name)[0];
      const all = c?.metrics.curves.identified.find((r) => r.group === "all");
      if (!c || !all) return [];
      return c.metrics.curves.thresholds.flatMap((t, i) =>
        all.rate[i] == null ? [] : [{ threshold: t, rate: all.rate[i] as number, split: s.name }],
      );
    });
    if (idRows.length)
      out.push({
        kind: "identified-rate",
        id: `${loss}-identified-curve`,
        title: `Unseen people identified vs threshold, ${loss}`,
        subtitle: "FPIR of max softmax (temperature-scaled); one line per training split",
        xTitle: "max-softmax threshold τ",
        data: idRows,
      });
  }
  // Gap vs imbalance with CI bands, one line per loss.
  for (const [metric, what] of GAP_METRICS) {
    const data = analysis.gaps
      .filter((g) => g.metric === metric)
      .map((g) => ({ imbalance: g.level, gap: g.estimate, lo: g.ci[0], hi: g.ci[1], series: g.loss }))
      .filter((d) => [d.gap, d.lo, d.hi].every(Number.isFinite));
    if (data.length)
      out.push({
        kind: "gap-imbalance",
        id: `gap-${metric}`,
        title: `${what}: "${analysis.focus}" minus the other groups`,
        subtitle: `gap = "${analysis.focus}" − mean of the other groups; band = ${Math.round(analysis.ciLevel * 100)}% bootstrap CI (test samples and seeds)`,
        xTitle: `"${analysis.focus}" share of training identities (%)`,
        yTitle: `${metric} difference`,
        data,
      });
  }
  return out;
}

/** The training loss curves of every cell of one loss, one line per split/seed (seed Fig 7). */
export function lossCurveCharts(records: CellRecord[]): Desc[] {
  const losses = [...new Set(records.map((r) => r.loss.label))];
  return losses.map((loss) => ({
    kind: "loss",
    id: `${loss}-training-loss`,
    title: `Training loss per epoch, ${loss}`,
    xTitle: "epoch",
    data: records
      .filter((r) => r.loss.label === loss)
      .flatMap((r) => r.train.epochs.map((e) => ({ x: e.epoch, y: e.loss, series: `${r.split.name} s${r.seed}` }))),
  }));
}

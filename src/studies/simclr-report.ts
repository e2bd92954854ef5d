// What a SimCLR run leaves for people: summary.json (headline numbers with their names, config, seed,
// versions, warnings) and report.json chart descriptors (src/report/README.md): pretraining loss with
// the ln(2N−1) chance line, kNN / online-probe accuracy over epochs, validation accuracy over the
// fine-tuning epochs, confusion matrices, class distributions and the side-by-side results table.

import type { EvalRow, LabelledTask } from "../methods/evaluate.js";
import { chanceContrastiveLoss } from "../methods/monitors.js";
import type { PretrainEpoch } from "../methods/pretrain.js";
import type { SimclrConfig } from "../methods/simclr-config.js";
import type { Run } from "../runs/index.js";

const pct = (f: number) => `${+(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;

export const METHOD_TITLES: Record<EvalRow["method"], string> = {
  "linear-probe": "linear probe (SimCLR)",
  "linear-probe-random-init": "linear probe (random init)",
  "fine-tune": "fine-tune (SimCLR)",
  scratch: "supervised from scratch",
};

export function classDistributionCharts(run: Run, tasks: LabelledTask[]): void {
  for (const t of tasks) {
    const data: { label: string; count: number; split: string }[] = [];
    for (const [split, labels] of [
      ["fine-tune pool", t.train.labels],
      ["validation", t.val.labels],
    ] as const) {
      const counts = new Array<number>(t.classNames.length).fill(0);
      for (const y of labels) counts[y] = (counts[y] ?? 0) + 1;
      counts.forEach((count, c) => {
        data.push({ label: t.classNames[c]!, count, split });
      });
    }
    run.chart({ kind: "distribution", title: `Class distribution: ${t.name}`, data });
  }
}

export function pretrainCharts(run: Run, history: PretrainEpoch[], batchSize: number, initialKnn?: number): void {
  if (history.length === 0) return;
  const chance = chanceContrastiveLoss(batchSize);
  run.chart({
    kind: "lines",
    title: "SimCLR pretraining loss",
    xTitle: "epoch",
    yTitle: "NT-Xent loss (nats per view)",
    data: [
      ...history.map((h) => ({ x: h.epoch, y: h.loss, series: "NT-Xent (train)" })),
      ...history.map((h) => ({ x: h.epoch, y: chance, series: `chance ln(2N−1) = ${chance.toFixed(2)}` })),
    ],
  });
  const acc = [
    ...(initialKnn === undefined ? [] : [{ x: 0, y: initialKnn, series: "kNN (k=200) on h" }]),
    ...history.flatMap((h) => [
      ...(h.knnAccuracy === undefined ? [] : [{ x: h.epoch, y: h.knnAccuracy, series: "kNN (k=200) on h" }]),
      ...(h.onlineProbeAccuracy === undefined
        ? []
        : [{ x: h.epoch, y: h.onlineProbeAccuracy, series: "online linear probe on h" }]),
      { x: h.epoch, y: h.contrastiveAccuracy, series: "contrastive accuracy (train)" },
    ]),
  ];
  run.chart({ kind: "accuracy", title: "Pretraining monitors: validation accuracy over epochs", data: acc });
  const stats = history.filter((h) => h.stats);
  if (stats.length)
    run.chart({
      kind: "lines",
      title: "Representation monitors (collapse check)",
      xTitle: "epoch",
      yTitle: "value (unitless)",
      data: stats.flatMap((h) => [
        { x: h.epoch, y: h.stats!.alignment, series: "alignment E‖z₁−z₂‖²" },
        { x: h.epoch, y: h.stats!.uniformity, series: "uniformity log E e^(−2‖zᵢ−zⱼ‖²)" },
        { x: h.epoch, y: h.stats!.spread, series: "spread (mean per-dim std)" },
      ]),
    });
}

export function evalCharts(run: Run, rows: EvalRow[], tasks: LabelledTask[]): void {
  if (rows.length === 0) return;
  const label = (r: EvalRow) =>
    `${METHOD_TITLES[r.method]}, ${pct(r.fraction)} labels${r.pretrainEpoch && r.method !== "linear-probe-random-init" ? ` @${r.pretrainEpoch}` : ""}`;
  for (const task of tasks) {
    const mine = rows.filter((r) => r.task === task.name);
    const tuned = mine.filter((r) => r.method === "fine-tune" || r.method === "scratch");
    if (tuned.length) {
      run.chart({
        kind: "accuracy",
        title: `${task.name}: validation accuracy over fine-tuning epochs`,
        data: tuned.flatMap((r) => r.history.map((h) => ({ x: h.epoch, y: h.accuracy, series: label(r) }))),
      });
      run.chart({
        kind: "lines",
        title: `${task.name}: fine-tuning loss`,
        xTitle: "epoch",
        yTitle: "cross-entropy (nats per example)",
        data: tuned.flatMap((r) => r.history.map((h) => ({ x: h.epoch, y: h.loss, series: label(r) }))),
      });
    }
    // Confusion matrices of the final evaluation at the largest labelled fraction.
    const last = Math.max(...mine.map((r) => r.pretrainEpoch));
    const maxF = Math.max(...mine.map((r) => r.fraction));
    for (const r of mine.filter(
      (r) => r.fraction === maxF && (r.method === "fine-tune" ? r.pretrainEpoch === last : r.method === "scratch"),
    ))
      run.chart({
        kind: "confusion",
        title: `${task.name}: confusion, ${label(r)}`,
        data: { classes: [...task.classNames], matrix: r.confusion },
      });
    run.chart({
      kind: "group-bars",
      title: `${task.name}: accuracy by method and labelled fraction`,
      data: mine
        .filter((r) => r.pretrainEpoch === last || r.pretrainEpoch === 0)
        .map((r) => ({ group: `${pct(r.fraction)} labels`, value: r.accuracy, series: METHOD_TITLES[r.method] })),
    });
  }
  run.chart({
    kind: "table",
    title: "Side by side: SimCLR vs baselines",
    data: {
      columns: ["task", "labels", "n", "method", "encoder epoch", "accuracy", "balanced accuracy", "stopped"],
      rows: rows.map((r) => [
        r.task,
        pct(r.fraction),
        r.labelled,
        METHOD_TITLES[r.method],
        r.pretrainEpoch,
        +r.accuracy.toFixed(4),
        +r.balancedAccuracy.toFixed(4),
        r.failure ? r.failure.kind : null,
      ]),
    },
  });
}

/** Headline comparisons: does SimCLR beat its baselines, per task and fraction (final encoder)? */
export function headline(rows: EvalRow[]): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = {};
  const last = rows.length ? Math.max(...rows.map((r) => r.pretrainEpoch)) : 0;
  for (const r of rows.filter((r) => r.pretrainEpoch === last || r.pretrainEpoch === 0)) {
    const key = `${r.task}@${pct(r.fraction)}`;
    out[key] ??= { labelled: r.labelled };
    out[key]![r.method] = {
      accuracy: r.accuracy,
      balancedAccuracy: r.balancedAccuracy,
      ...(r.failure && { stopped: r.failure.kind }),
    };
  }
  for (const v of Object.values(out)) {
    const acc = (m: string) => (v[m] as { accuracy: number } | undefined)?.accuracy;
    const lp = acc("linear-probe");
    const lr = acc("linear-probe-random-init");
    const ft = acc("fine-tune");
    const sc = acc("scratch");
    if (lp !== undefined && lr !== undefined) v.linearProbeGain = lp - lr;
    if (ft !== undefined && sc !== undefined) v.fineTuneGain = ft - sc;
  }
  return out;
}

export function summaryOf(
  cfg: SimclrConfig,
  history: PretrainEpoch[],
  rows: EvalRow[],
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const last = history.at(-1);
  const warnings = [...new Set(history.flatMap((h) => h.warnings))];
  return {
    study: "simclr",
    name: cfg.name,
    seed: cfg.seed,
    dataset: cfg.data.dataset,
    encoder: `${cfg.model.arch} width ${cfg.model.width}${cfg.model.cifarStem ? " cifar-stem" : ""}`,
    pretrain: last && {
      epochs: last.epoch,
      finalLoss: last.loss,
      chanceLoss: chanceContrastiveLoss(cfg.pretrain.batchSize),
      knnAccuracy: last.knnAccuracy,
      onlineProbeAccuracy: last.onlineProbeAccuracy,
      contrastiveAccuracy: last.contrastiveAccuracy,
      alignment: last.stats?.alignment,
      uniformity: last.stats?.uniformity,
      seconds: history.reduce((a, h) => a + h.seconds, 0),
    },
    headline: headline(rows),
    results: rows.map(({ history: _h, ...r }) => r),
    warnings,
    failures: rows
      .filter((r) => r.failure)
      .map((r) => ({ task: r.task, method: r.method, fraction: r.fraction, ...r.failure })),
    config: cfg,
    ...extra,
  };
}

// What a SimCLR run leaves for people: summary.json (headline numbers with their names, config, seed,
// versions, warnings) and report.json chart descriptors (src/report/README.md): pretraining loss with
// the ln(2N−1) chance line, kNN / online-probe accuracy over epochs, validation accuracy over the
// fine-tuning epochs, confusion matrices, class distributions and the side-by-side results table.

import { tInterval } from "../../eval/index.js";
import type { EvalMethod, EvalRow, LabelledTask } from "../../methods/evaluate.js";
import { chanceContrastiveLoss } from "../../methods/monitors.js";
import type { PretrainEpoch } from "../../methods/pretrain.js";
import type { SimclrConfig } from "../../methods/simclr-config.js";
import type { Run } from "../../runs/index.js";

const pct = (f: number) => `${+(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;

export const METHOD_TITLES: Record<EvalRow["method"], string> = {
  "linear-probe": "linear probe (SimCLR)",
  "linear-probe-random-init": "linear probe (random init)",
  "fine-tune": "fine-tune (SimCLR)",
  scratch: "supervised from scratch",
  "logistic-probe": "L-BFGS linear probe, all labels (SimCLR)",
  "logistic-probe-random-init": "L-BFGS linear probe, all labels (random init)",
  knn: "kNN (k-nearest neighbours), all labels (SimCLR)",
  "knn-random-init": "kNN (k-nearest neighbours), all labels (random init)",
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
  // The id is the one the findings page leads with (src/report/findings/simclr.ts SIMCLR_CHART_IDS).
  run.chart({
    kind: "accuracy",
    id: "pretrain-monitors",
    title: "Pretraining monitors: validation accuracy over epochs",
    data: acc,
  });
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
  const h = Object.values(headline(rows));
  const repeated = rows.some((r) => r.repeat > 0);
  for (const task of tasks) {
    const all = rows.filter((r) => r.task === task.name);
    // Curves and confusion matrices of the first repeat; bars summarise every repeat.
    const mine = all.filter((r) => r.repeat === 0);
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
        id: `${task.name}-confusion-${r.method}`.replace(/[^\w.-]+/g, "-"),
        title: `${task.name}: confusion, ${label(r)}`,
        data: { classes: [...task.classNames], matrix: r.confusion },
      });
    run.chart({
      kind: "group-bars",
      title: `${task.name}: accuracy by method and labelled fraction${repeated ? " (mean, 95% CI over repeats)" : ""}`,
      data: h
        .filter((v) => v.task === task.name)
        .flatMap((v) =>
          Object.entries(METHOD_TITLES).flatMap(([m, series]) => {
            const e = v[m as EvalMethod];
            return e
              ? [
                  {
                    group: `${pct(v.fraction)} labels`,
                    value: e.accuracy,
                    series,
                    ...(e.ci95 && { lo: e.ci95[0], hi: e.ci95[1] }),
                  },
                ]
              : [];
          }),
        ),
    });
  }
  const gains = h.flatMap((v) =>
    (
      [
        ["linear probe: SimCLR − random init", v.linearProbeGain, v.linearProbeGainCI95],
        ["fine-tune: SimCLR − from scratch", v.fineTuneGain, v.fineTuneGainCI95],
      ] as const
    ).flatMap(([what, g, ci]) =>
      g === undefined
        ? []
        : [
            [
              v.task,
              pct(v.fraction),
              what,
              +(g * 100).toFixed(1),
              ci ? `${(ci[0] * 100).toFixed(1)} … ${(ci[1] * 100).toFixed(1)}` : "—",
            ],
          ],
    ),
  );
  if (gains.length)
    run.chart({
      kind: "table",
      title: "SimCLR gains (accuracy points; mean of paired per-repeat differences, 95% t-interval)",
      data: { columns: ["task", "labels", "comparison", "gain (points)", "95% CI (points)"], rows: gains },
    });
  run.chart({
    kind: "table",
    title: "Side by side: SimCLR vs baselines",
    data: {
      columns: [
        "task",
        "labels",
        "n",
        "method",
        "encoder epoch",
        "repeat",
        "accuracy (%)",
        "balanced accuracy (%)",
        "stopped",
      ],
      rows: rows.map((r) => [
        r.task,
        pct(r.fraction),
        r.labelled,
        METHOD_TITLES[r.method],
        r.pretrainEpoch,
        r.repeat + 1,
        +(r.accuracy * 100).toFixed(1),
        +(r.balancedAccuracy * 100).toFixed(1),
        r.failure ? r.failure.kind : null,
      ]),
    },
  });
}

/** One method's result at a task and fraction: means over repeats, with a 95% t-interval from two repeats on. */
export interface MethodSummary {
  accuracy: number;
  balancedAccuracy: number;
  repeats: number;
  std?: number;
  ci95?: [number, number];
  /** guard failures (kinds) in any repeat */
  stopped?: string;
}

export type HeadlineEntry = { task: string; fraction: number; labelled: number } & Partial<
  Record<EvalMethod, MethodSummary>
> & {
    /** linear probe SimCLR − random init, mean of paired per-repeat differences */
    linearProbeGain?: number;
    linearProbeGainCI95?: [number, number];
    /** fine-tune SimCLR − from scratch, mean of paired per-repeat differences */
    fineTuneGain?: number;
    fineTuneGainCI95?: [number, number];
  };

/** The rows of the final encoder and the baselines, the last row per (task, fraction, method, repeat). */
function finalRows(rows: EvalRow[]): EvalRow[] {
  const last = rows.length ? Math.max(...rows.map((r) => r.pretrainEpoch)) : 0;
  const byKey = new Map<string, EvalRow>();
  for (const r of rows)
    if (r.pretrainEpoch === last || r.pretrainEpoch === 0)
      byKey.set(`${r.task}|${r.fraction}|${r.method}|${r.repeat}`, r);
  return [...byKey.values()];
}

/** A mean over repeats with its 95% t-interval ([lo, hi] only with two or more repeats). */
function summarise(values: number[]) {
  const t = tInterval(values);
  return { mean: t.mean, ...(t.n > 1 && { std: t.std, ci95: [t.lo, t.hi] as [number, number] }) };
}

/**
 * Headline comparisons: does SimCLR beat its baselines, per task and fraction (final encoder)? With
 * evaluate.repeats > 1 each accuracy is the mean over repeats with a 95% t-interval, and each gain is
 * the mean of the paired per-repeat differences (same labelled subset) with its own interval.
 */
export function headline(rows: EvalRow[]): Record<string, HeadlineEntry> {
  const groups = new Map<string, EvalRow[]>();
  for (const r of finalRows(rows)) {
    const key = `${r.task}@${pct(r.fraction)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Record<string, HeadlineEntry> = {};
  for (const [key, rs] of groups) {
    const v: HeadlineEntry = { task: rs[0]!.task, fraction: rs[0]!.fraction, labelled: rs[0]!.labelled };
    const byMethod = new Map<EvalMethod, Map<number, EvalRow>>();
    for (const r of rs) byMethod.set(r.method, (byMethod.get(r.method) ?? new Map()).set(r.repeat, r));
    for (const [m, reps] of byMethod) {
      const list = [...reps.values()];
      const acc = summarise(list.map((r) => r.accuracy));
      const stopped = [...new Set(list.flatMap((r) => (r.failure ? [r.failure.kind] : [])))];
      v[m] = {
        accuracy: acc.mean,
        balancedAccuracy: summarise(list.map((r) => r.balancedAccuracy)).mean,
        repeats: list.length,
        ...(acc.ci95 && { std: acc.std, ci95: acc.ci95 }),
        ...(stopped.length && { stopped: stopped.join(", ") }),
      };
    }
    const gain = (a: EvalMethod, b: EvalMethod, name: "linearProbeGain" | "fineTuneGain") => {
      const ra = byMethod.get(a);
      const rb = byMethod.get(b);
      if (!ra || !rb) return;
      const d = [...ra].flatMap(([rep, r]) => {
        const o = rb.get(rep);
        return o ? [r.accuracy - o.accuracy] : [];
      });
      if (d.length === 0) return;
      const g = summarise(d);
      v[name] = g.mean;
      if (g.ci95) v[`${name}CI95`] = g.ci95;
    };
    gain("linear-probe", "linear-probe-random-init", "linearProbeGain");
    gain("fine-tune", "scratch", "fineTuneGain");
    out[key] = v;
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

// The findings page of a SimCLR run, from its summary.json: headline table (task × labelled fraction ×
// method, mean [95% CI] over repeats, paired gains with their CI), sentences saying what the numbers
// show, guard warnings, the monitors chart and confusion matrices side by side with per-class recall,
// and the protocol that produced every number.

import type { EvalMethod, EvalRow } from "../../methods/evaluate.js";
import type { SimclrConfig } from "../../methods/simclr-config.js";
import type { HeadlineEntry, MethodSummary } from "../../studies/simclr/report.js";
import type { Num } from "../format.js";
import { formatNum } from "../format.js";
import type { Cell, PageInput, PageTable } from "../page.js";

/** The fields of the evaluation suite's rows this page reads (older summaries' failures carry no epoch). */
type ResultRow = Pick<
  EvalRow,
  "task" | "method" | "fraction" | "labelled" | "pretrainEpoch" | "repeat" | "perClassRecall"
> & { failure?: { kind: string; message: string } };

export interface SimclrSummary {
  study: "simclr";
  name: string;
  dataset: string;
  encoder: string;
  seed: number;
  pretrain?: { epochs: number; finalLoss: number; chanceLoss: number; knnAccuracy?: number; seconds?: number };
  headline: Record<string, HeadlineEntry>;
  results: ResultRow[];
  warnings: string[];
  failures: { task: string; method: string; fraction: number; kind: string; message: string }[];
  config: SimclrConfig;
  /** Per task: class names and the sizes of the labelled pool and the validation set. */
  tasks?: { name: string; classes: string[]; pool: number; validation: number }[];
}

const pctText = (f: number) => `${+(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;
/** Student-t intervals from few repeats can leave a rate's range; they are clipped to it (protocol says so). */
const clip = (ci: [number, number], lo: number, hi: number): [number, number] => [
  Math.max(lo, ci[0]),
  Math.min(hi, ci[1]),
];
const acc = (m: MethodSummary | undefined): Num | null =>
  m ? { value: m.accuracy, unit: "pct", ...(m.ci95 && { ci: clip(m.ci95, 0, 1) }) } : null;
const gain = (g: number | undefined, ci: [number, number] | undefined): Num | null =>
  g === undefined ? null : { value: g, unit: "pp", ...(ci && { ci: clip(ci, -1, 1) }) };

/** Chart ids the SimCLR study gives its lead charts (studies/simclr/report.ts). */
export const SIMCLR_CHART_IDS = {
  monitors: "pretrain-monitors",
  confusion: (task: string, method: EvalMethod) => `${task}-confusion-${method}`.replace(/[^\w.-]+/g, "-"),
};

export function simclrPage(s: SimclrSummary): PageInput {
  const entries = Object.values(s.headline).sort((a, b) => a.task.localeCompare(b.task) || a.fraction - b.fraction);
  const repeats = Math.max(1, ...entries.flatMap((e) => (e["linear-probe"] ? [e["linear-probe"].repeats] : [])));
  const headline: PageTable = {
    id: "headline",
    title: `SimCLR vs baselines: validation accuracy${repeats > 1 ? `, mean [95% CI] over ${repeats} repeats; gains are paired per-repeat differences` : " (one repeat: no intervals)"}`,
    role: "headline",
    columns: [
      { label: "task" },
      { label: "labels" },
      { label: "n labelled" },
      { label: "probe, SimCLR", unit: "%" },
      { label: "probe, random init", unit: "%" },
      { label: "probe gain", unit: "pp" },
      { label: "fine-tune, SimCLR", unit: "%" },
      { label: "from scratch", unit: "%" },
      { label: "fine-tune gain", unit: "pp" },
    ],
    rows: entries
      .filter(hasFractionRows)
      .map((e): Cell[] => [
        e.task,
        pctText(e.fraction),
        e.labelled,
        acc(e["linear-probe"]),
        acc(e["linear-probe-random-init"]),
        gain(e.linearProbeGain, e.linearProbeGainCI95),
        acc(e["fine-tune"]),
        acc(e.scratch),
        gain(e.fineTuneGain, e.fineTuneGainCI95),
      ]),
  };
  const all = allLabelTable(entries);
  return {
    kind: "simclr",
    findings: findings(s, entries),
    tables: [...(headline.rows.length || !all ? [headline] : []), ...(all ? [all] : []), ...recallTables(s)],
    // The monitors, then per task its two confusion matrices side by side (SimCLR fine-tune, scratch).
    leadCharts: [
      [SIMCLR_CHART_IDS.monitors],
      ...[...new Set(s.results.map((r) => r.task))].map((t) => [
        SIMCLR_CHART_IDS.confusion(t, "fine-tune"),
        SIMCLR_CHART_IDS.confusion(t, "scratch"),
      ]),
    ],
    warnings: [
      ...s.warnings.map((w) => `pretraining: ${w}`),
      ...s.failures.map(
        (f) => `${f.task}, ${f.method}, ${pctText(f.fraction)} labels stopped: ${f.kind} — ${f.message}`,
      ),
    ],
    protocol: protocol(s),
  };
}

/** Whether an entry has any of the fraction methods (probe, fine-tune, scratch) the headline table shows. */
const hasFractionRows = (e: HeadlineEntry) =>
  !!(e["linear-probe"] || e["linear-probe-random-init"] || e["fine-tune"] || e.scratch);

/** SimCLR − random init of two single-run accuracies (the all-label rows have no repeats), in points. */
const diff = (a: MethodSummary | undefined, b: MethodSummary | undefined): Num | null =>
  a && b ? { value: a.accuracy - b.accuracy, unit: "pp" } : null;

/**
 * The all-label evaluations (evaluate.knn, evaluate.logisticProbe): one row per task, each against the
 * same evaluation of a random-init encoder. Deterministic given the features, so no repeats or intervals.
 */
function allLabelTable(entries: HeadlineEntry[]): PageTable | undefined {
  const rows = entries.filter((e) => e.knn || e["logistic-probe"]);
  if (rows.length === 0) return undefined;
  return {
    id: "all-labels",
    title: "All labels: kNN and L-BFGS linear probe on frozen features (one deterministic run: no intervals)",
    role: "headline",
    columns: [
      { label: "task" },
      { label: "n labelled" },
      { label: "kNN, SimCLR", unit: "%" },
      { label: "kNN, random init", unit: "%" },
      { label: "kNN gain", unit: "pp" },
      { label: "L-BFGS probe, SimCLR", unit: "%" },
      { label: "L-BFGS probe, random init", unit: "%" },
      { label: "L-BFGS gain", unit: "pp" },
    ],
    rows: rows.map((e): Cell[] => [
      e.task,
      e.labelled,
      acc(e.knn),
      acc(e["knn-random-init"]),
      diff(e.knn, e["knn-random-init"]),
      acc(e["logistic-probe"]),
      acc(e["logistic-probe-random-init"]),
      diff(e["logistic-probe"], e["logistic-probe-random-init"]),
    ]),
  };
}

/** "kNN 82.1% vs 76.1% for a random-init encoder (+5.9 points)" for the all-label rows of an entry. */
function allLabelSentence(e: HeadlineEntry): string | undefined {
  const part = (name: string, a: MethodSummary | undefined, b: MethodSummary | undefined) =>
    a
      ? `${name} ${formatNum(acc(a)!, "%")}` +
        (b ? ` vs ${formatNum(acc(b)!, "%")} for a random-init encoder (${formatNum(diff(a, b)!, " points")})` : "")
      : undefined;
  const parts = [
    part("kNN", e.knn, e["knn-random-init"]),
    part("the L-BFGS linear probe", e["logistic-probe"], e["logistic-probe-random-init"]),
  ].filter((p) => p !== undefined);
  return parts.length ? `${e.task} with all ${e.labelled} labels: ${parts.join("; ")}.` : undefined;
}

function findings(s: SimclrSummary, entries: HeadlineEntry[]): string[] {
  const out: string[] = [];
  const tasks = [...new Set(entries.map((e) => e.task))];
  for (const task of tasks) {
    const mine = entries.filter((x) => x.task === task);
    const all = mine.map(allLabelSentence).filter((t) => t !== undefined);
    out.push(...all);
    const e = mine.filter(hasFractionRows).at(-1);
    if (!e) continue;
    const parts: string[] = [];
    if (e["linear-probe"])
      parts.push(
        `the SimCLR linear probe reaches ${formatNum(acc(e["linear-probe"])!, "%")}` +
          (e.linearProbeGain !== undefined
            ? `, ${formatNum(gain(e.linearProbeGain, e.linearProbeGainCI95)!, " points")} over the same probe on a random-init encoder`
            : ""),
      );
    if (e["fine-tune"])
      parts.push(
        `fine-tuning reaches ${formatNum(acc(e["fine-tune"])!, "%")}` +
          (e.fineTuneGain !== undefined
            ? `, ${formatNum(gain(e.fineTuneGain, e.fineTuneGainCI95)!, " points")} over training from scratch`
            : ""),
      );
    if (parts.length)
      out.push(`${task} with ${pctText(e.fraction)} labels (${e.labelled} images): ${parts.join("; ")}.`);
  }
  const gains = entries.flatMap((e) => [e.linearProbeGainCI95, e.fineTuneGainCI95]).filter((c) => c !== undefined);
  if (gains.length) {
    const above = gains.filter((c) => c[0] > 0).length;
    const below = gains.filter((c) => c[1] < 0).length;
    out.push(
      `${above} of ${gains.length} paired gains have 95% intervals above zero` +
        (below ? `, ${below} below zero (SimCLR worse)` : "") +
        " (each interval on its own; no multiplicity adjustment).",
    );
  }
  if (s.warnings.length === 0 && s.failures.length === 0) {
    const ev = s.config.evaluate;
    const on = ev.finetune.guards || ev.scratch.guards;
    out.push(
      on
        ? "Guards: no one-class collapse, lost class or flat loss in any evaluation, and no pretraining warning."
        : "Guards (collapse, lost class, flat loss) were switched off for fine-tuning and training from scratch in this config; no pretraining warning.",
    );
  }
  if (s.pretrain)
    out.push(
      `Pretraining: ${s.pretrain.epochs} epoch${s.pretrain.epochs === 1 ? "" : "s"}, final NT-Xent loss ${formatNum({ value: s.pretrain.finalLoss, unit: "num" })} ` +
        `(chance ln(2N−1) = ${formatNum({ value: s.pretrain.chanceLoss, unit: "num" })})` +
        (s.pretrain.knnAccuracy !== undefined
          ? `, kNN accuracy on the encoder's features ${formatNum({ value: s.pretrain.knnAccuracy, unit: "pct" }, "%")}`
          : "") +
        ".",
    );
  return out;
}

/** Per-class recall at the largest labelled fraction (final encoder, first repeat), one table per task. */
function recallTables(s: SimclrSummary): PageTable[] {
  const last = Math.max(0, ...s.results.map((r) => r.pretrainEpoch));
  const methods: [EvalMethod, string][] = [
    ["linear-probe", "probe, SimCLR"],
    ["fine-tune", "fine-tune, SimCLR"],
    ["scratch", "from scratch"],
    ["logistic-probe", "L-BFGS probe, SimCLR"],
    ["knn", "kNN, SimCLR"],
  ];
  return [...new Set(s.results.map((r) => r.task))].map((task) => {
    const mine = s.results.filter((r) => r.task === task && r.repeat === 0);
    const maxF = Math.max(...mine.map((r) => r.fraction));
    const pick = (m: EvalMethod) =>
      mine.find((r) => r.method === m && r.fraction === maxF && (r.pretrainEpoch === last || r.pretrainEpoch === 0));
    const cols = methods.filter(([m]) => pick(m));
    const n = Math.max(0, ...cols.map(([m]) => pick(m)!.perClassRecall.length));
    const names = s.tasks?.find((t) => t.name === task)?.classes ?? Array.from({ length: n }, (_, i) => `class ${i}`);
    return {
      id: `${task}-per-class-recall`.replace(/[^\w.-]+/g, "-"),
      title: `${task}: per-class recall at ${pctText(maxF)} labels (first repeat)`,
      role: "frame",
      columns: [{ label: "class" }, ...cols.map(([, label]) => ({ label, unit: "%" }))],
      rows: names.map((name, c) => [
        name,
        ...cols.map(([m]): Cell => ({ value: pick(m)!.perClassRecall[c] ?? null, unit: "pct" })),
      ]),
    };
  });
}

function protocol(s: SimclrSummary): { term: string; detail: string }[] {
  const c = s.config;
  const ev = c.evaluate;
  const counts = s.tasks?.map((t) => `${t.name}: ${t.pool} labelled pool, ${t.validation} validation`).join("; ");
  const lp = ev.linearProbe;
  const tune = (f: typeof ev.finetune) =>
    `${f.epochs} epochs (at least ${f.minSteps} steps), batch ${f.batchSize}, SGD Nesterov lr ${f.lr}·B/256, weight decay ${f.weightDecay}, crop area ${f.cropScale[0]}–${f.cropScale[1]} + flip, class weights ${f.classWeights}, guards ${f.guards ? "on" : "off"}`;
  return [
    { term: "data", detail: `${s.dataset}; encoder ${s.encoder}; seed ${s.seed}` },
    ...(counts ? [{ term: "labelled / validation", detail: counts }] : []),
    {
      term: "labelled fractions",
      detail: `${ev.labelFractions.map(pctText).join(", ")} of the labelled pool, drawn class-balanced; ${ev.repeats} repeat${ev.repeats > 1 ? "s" : ""}, each with its own subset`,
    },
    {
      term: "intervals",
      detail:
        ev.repeats > 1
          ? "mean over repeats with a 95% Student-t interval (clipped to 0–100%); gains are the mean of paired per-repeat differences (same labelled subset) with their own t-interval"
          : "one repeat: point estimates only",
    },
    {
      term: "pretraining",
      detail: `SimCLR, ${c.pretrain.epochs} epochs, batch ${c.pretrain.batchSize}, ${c.pretrain.optimizer} lr ${c.pretrain.lr} (${c.pretrain.lrScaling} scaling), temperature ${c.pretrain.temperature}, weight decay ${c.pretrain.weightDecay}`,
    },
    {
      term: "linear probe",
      detail: `on frozen, standardised encoder features h; ${lp.epochs} epochs, batch ${lp.batchSize}, SGD Nesterov lr ${lp.lr}·B/256, L2 (weight decay) ${lp.weightDecay}; baseline: the same probe on a random-init encoder${lp.randomInitBaseline ? "" : " (off)"}`,
    },
    { term: "fine-tune", detail: `${tune(ev.finetune)}; head start: ${ev.finetune.headInit}` },
    { term: "from scratch", detail: tune(ev.scratch) },
    {
      term: "kNN monitor",
      detail: c.pretrain.monitor.knn
        ? `k = ${c.pretrain.monitor.knnK}, τ = ${c.pretrain.monitor.knnTemperature}, cosine-weighted, ${c.pretrain.monitor.bankSize} labelled bank images, ${c.pretrain.monitor.querySize} validation queries, every ${c.pretrain.monitor.every} epoch(s)`
        : "off",
    },
  ];
}

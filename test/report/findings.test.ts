// The findings pages built from summaries, against hand-written summaries whose numbers are known:
// sentences carry estimate, CI and adjusted p / q; small groups are flagged, not compared; rates'
// t-intervals are clipped to their range.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type BiasSummary, biasPage } from "../../src/report/findings/bias.js";
import { pageFromSummary } from "../../src/report/findings/index.js";
import { cellText } from "../../src/report/page-html.js";

const trend = (loss: string, slope: number, ci: [number, number], p: number, adjusted: number) => ({
  kind: "trend" as const,
  loss,
  metric: "accuracy",
  slope,
  ci,
  levels: [0.3, 0.7],
  excludesZero: ci[0] > 0 || ci[1] < 0,
  statement: "",
  family: "primary" as const,
  p,
  adjusted,
  significant: adjusted <= 0.05,
});
const gap = (loss: string, split: string, estimate: number, ci: [number, number], q: number) => ({
  kind: "gap" as const,
  loss,
  split,
  level: split === "30/70" ? 0.7 : 0.3,
  metric: "accuracy",
  seeds: 1,
  estimate,
  ci,
  seedSd: Number.NaN,
  seedRange: [estimate, estimate] as [number, number],
  excludesZero: ci[0] > 0 || ci[1] < 0,
  statement: "",
  family: "secondary" as const,
  p: q / 2,
  adjusted: q,
  significant: q <= 0.05,
});
const v = (value: number, lo: number, hi: number, n = 100) => ({ value, ci: [lo, hi] as [number, number], n });

const bias = {
  kind: "bias-study",
  study: "s",
  data: { source: "synthetic", attribute: "group", groups: ["a", "b"], planted: { group: "b", strength: 0.8 } },
  focus: "b",
  ciLevel: 0.95,
  alpha: 0.05,
  primary: [{ kind: "trend", metric: "accuracy" }],
  frame: [
    {
      split: "70/30",
      level: 0.3,
      loss: "softmax",
      metric: "accuracy",
      seeds: 1,
      groups: { a: { ...v(0.8, 0.75, 0.85), flagged: false }, b: { ...v(0.7, 0.6, 0.8, 12), flagged: true } },
      difference: v(0.1, 0.0, 0.2),
      ratio: v(0.875, 0.75, 1),
      gap: v(-0.1, -0.2, 0),
      flagged: ["b"],
    },
    {
      split: "30/70",
      level: 0.7,
      loss: "softmax",
      metric: "accuracy",
      seeds: 1,
      groups: { a: { ...v(0.9, 0.85, 0.95), flagged: false }, b: { ...v(0.6, 0.55, 0.65), flagged: false } },
      difference: v(0.3, 0.22, 0.38),
      ratio: v(0.667, 0.6, 0.73),
      gap: v(-0.3, -0.38, -0.22),
      flagged: [],
    },
  ],
  cells: { total: 2, done: 2 },
  failed: [],
  pending: [],
  claims: [],
  trends: [trend("softmax", -0.5, [-0.8, -0.2], 0.002, 0.002)],
  gaps: [gap("softmax", "70/30", -0.1, [-0.2, 0], 0.2), gap("softmax", "30/70", -0.3, [-0.38, -0.22], 0.004)],
  warnings: [],
  config: {
    data: { identities: 40, copies: 6, unseen: 40, imageSize: 24 },
    seeds: [0],
    model: { backbone: "convnet" },
    train: { epochs: 4, batchSize: 32, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, augment: true },
    eval: {
      far: 0.01,
      fpir: 0.1,
      identifiedThreshold: 0.9,
      impostorsPerProbe: 20,
      temperatureScaling: true,
      eceBins: 15,
      bootstrap: 300,
      minGroupSamples: 20,
    },
  },
} as unknown as BiasSummary;

test("bias findings: Holm primary sentence, largest gaps with q, planted effect with its numbers, flags", () => {
  const p = biasPage(bias);
  assert.deepEqual(p.findings, [
    'Primary, softmax: the accuracy gap of "b" changes by −5.0 points per 10 points of its share of the training identities [−8.0, −2.0], Holm p = 0.002 — found.',
    'Largest accuracy gaps: softmax at split 30/70, "b" minus the rest = −30.0 points [−38.0, −22.0] (q = 0.004); softmax at split 70/30, "b" minus the rest = −10.0 points [−20.0, 0.0] (q = 0.2).',
    "1 of 2 secondary claims have q ≤ 0.05 (Benjamini–Hochberg); tested one by one at p ≤ 0.05, fewer than one would pass by chance alone if there were no effects.",
    'Planted effect (group "b" made harder, strength 0.8): found — 1 of 2 accuracy gaps significant in its direction (adjusted p ≤ 0.05) (strongest: softmax at split 30/70, −30.0 points [−38.0, −22.0], q = 0.004); a primary accuracy trend over the training share holds, which is a separate claim.',
    "Below the minimum of 20 test units, flagged and not compared: b (70/30).",
  ]);
  const frame = p.tables!.find((t) => t.role === "frame")!;
  const text = frame.rows.map((r) => r.map((c) => cellText(c).text));
  assert.deepEqual(text, [
    ["70/30", "softmax", "80.0 [75.0, 85.0]", "70.0 ⚑ n = 12", "not compared ⚑", "not compared ⚑", "not compared ⚑"],
    [
      "30/70",
      "softmax",
      "90.0 [85.0, 95.0]",
      "60.0 [55.0, 65.0]",
      "+30.0 [22.0, 38.0]",
      "0.667 [0.6, 0.73]",
      "−30.0 [−38.0, −22.0]",
    ],
  ]);
  const claims = p.claims!;
  assert.deepEqual(
    claims.map((c) => [c.family, c.split, c.verdict]),
    [
      ["primary", "all", "trend (Holm p ≤ 0.05)"],
      ["secondary", "70/30", "no evidence (q > 0.05)"],
      ["secondary", "30/70", "difference (q ≤ 0.05)"],
    ],
  );
});

test("bias findings: a planted effect no gap shows is not found, even when an accuracy trend holds", () => {
  const weak = {
    ...bias,
    gaps: [gap("softmax", "70/30", -0.1, [-0.2, 0], 0.2), gap("softmax", "30/70", 0.05, [-0.02, 0.12], 0.3)],
  } as BiasSummary;
  const line = biasPage(weak).findings?.find((f) => f.startsWith("Planted effect"));
  assert.equal(
    line,
    'Planted effect (group "b" made harder, strength 0.8): not found at this study\'s size — none of 2 accuracy gaps significant in its direction (adjusted p ≤ 0.05) (strongest: softmax at split 70/30, −10.0 points [−20.0, 0.0], q = 0.2); a primary accuracy trend over the training share holds, which is a separate claim.',
  );
});

const simclrConfig = {
  evaluate: {
    labelFractions: [0.1],
    repeats: 2,
    linearProbe: { epochs: 3, batchSize: 64, lr: 0.1, weightDecay: 0, randomInitBaseline: true },
    finetune: {
      guards: true,
      epochs: 1,
      minSteps: 0,
      batchSize: 8,
      lr: 0.05,
      weightDecay: 0,
      cropScale: [0.5, 1],
      classWeights: "none",
      headInit: "random",
    },
    scratch: {
      guards: true,
      epochs: 1,
      minSteps: 0,
      batchSize: 8,
      lr: 0.1,
      weightDecay: 5e-4,
      cropScale: [0.5, 1],
      classWeights: "none",
    },
  },
  pretrain: {
    epochs: 2,
    batchSize: 48,
    optimizer: "adamw",
    lr: 0.002,
    lrScaling: "none",
    temperature: 0.2,
    weightDecay: 1e-4,
    monitor: { knn: false },
  },
};

test("SimCLR headline: mean [CI] per method, paired gains, t-intervals clipped to 0–100%", () => {
  const page = pageFromSummary({
    study: "simclr",
    name: "x",
    dataset: "synthetic-faces",
    encoder: "resnet18 width 8",
    seed: 0,
    headline: {
      "gender@10%": {
        task: "gender",
        fraction: 0.1,
        labelled: 24,
        "linear-probe": { accuracy: 0.8, balancedAccuracy: 0.8, repeats: 2, ci95: [0.7, 1.2] },
        "linear-probe-random-init": { accuracy: 0.6, balancedAccuracy: 0.6, repeats: 2, ci95: [0.55, 0.65] },
        linearProbeGain: 0.2,
        linearProbeGainCI95: [0.1, 0.3],
      },
    },
    results: [],
    warnings: [],
    failures: [],
    config: simclrConfig,
  })!;
  const head = page.tables.find((t) => t.role === "headline")!;
  assert.deepEqual(
    head.rows[0]!.map((c) => cellText(c).text),
    ["gender", "10%", "24", "80.0 [70.0, 100.0]", "60.0 [55.0, 65.0]", "+20.0 [10.0, 30.0]", "—", "—", "—"],
  );
  assert.equal(
    page.findings[0],
    "gender with 10% labels (24 images): the SimCLR linear probe reaches 80.0% [70.0, 100.0], +20.0 points [10.0, 30.0] over the same probe on a random-init encoder.",
  );
  assert.equal(
    page.findings[1],
    "1 of 1 paired gains have 95% intervals above zero (each interval on its own; no multiplicity adjustment).",
  );
});

test("SimCLR all-label rows (kNN, L-BFGS probe): their own table with gains, a sentence, per-class recall columns", () => {
  const m = (accuracy: number) => ({ accuracy, balancedAccuracy: accuracy, repeats: 1 });
  const row = (method: string, recall: number[]) => ({
    task: "label",
    method,
    fraction: 1,
    labelled: 600,
    pretrainEpoch: method.endsWith("random-init") ? 0 : 18,
    repeat: 0,
    perClassRecall: recall,
  });
  const page = pageFromSummary({
    study: "simclr",
    name: "x",
    dataset: "fashion-mnist",
    encoder: "resnet18 [1,1,1,1] width 16",
    seed: 0,
    headline: {
      "label@1%": { task: "label", fraction: 0.01, labelled: 6, "linear-probe": m(0.7) },
      "label@100%": {
        task: "label",
        fraction: 1,
        labelled: 600,
        knn: m(0.8205),
        "knn-random-init": m(0.7613),
        "logistic-probe": m(0.865),
        "logistic-probe-random-init": m(0.8309),
      },
    },
    results: [row("knn", [0.9, 0.5]), row("logistic-probe", [0.95, 0.75]), row("knn-random-init", [0.1, 0.2])],
    warnings: [],
    failures: [],
    tasks: [{ name: "label", classes: ["T-shirt", "Trouser"], pool: 600, validation: 100 }],
    config: { ...simclrConfig, evaluate: { ...simclrConfig.evaluate, repeats: 1 } },
  })!;
  const [head, all, recall] = page.tables;
  // The probe / fine-tune table keeps only the fractions that have those methods: no row of dashes.
  assert.deepEqual(
    head!.rows.map((r) => cellText(r[1]!).text),
    ["1%"],
  );
  assert.equal(all!.id, "all-labels");
  assert.equal(all!.role, "headline");
  assert.deepEqual(
    all!.rows[0]!.map((c) => cellText(c).text),
    ["label", "600", "82.0", "76.1", "+5.9", "86.5", "83.1", "+3.4"],
  );
  assert.equal(
    page.findings[0],
    "label with all 600 labels: kNN 82.0% vs 76.1% for a random-init encoder (+5.9 points); the L-BFGS linear probe 86.5% vs 83.1% for a random-init encoder (+3.4 points).",
  );
  assert.ok(page.findings[1]!.startsWith("label with 1% labels (6 images): the SimCLR linear probe reaches 70.0%"));
  // Per-class recall at 100% shows the all-label methods (before, the table had class names and no column).
  assert.equal(recall!.title, "label: per-class recall at 100% labels (first repeat)");
  assert.deepEqual(
    recall!.columns.map((c) => c.label),
    ["class", "L-BFGS probe, SimCLR", "kNN, SimCLR"],
  );
  assert.deepEqual(
    recall!.rows.map((r) => r.map((c) => cellText(c).text)),
    [
      ["T-shirt", "95.0", "90.0"],
      ["Trouser", "75.0", "50.0"],
    ],
  );
});

test("an unknown summary has no findings page (the report shows it as tables)", () => {
  assert.equal(pageFromSummary({ accuracy: 0.9 }), undefined);
  assert.equal(pageFromSummary(undefined), undefined);
});

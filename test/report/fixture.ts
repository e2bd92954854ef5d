// A study directory with one child run that uses every chart kind, written through the Run API.
// Shared by the report and dashboard tests. Values are deterministic (LCG), not random.
import sharp from "sharp";
import { Run } from "../../src/runs/run.js";

export async function makeStudy(root: string): Promise<{ study: Run; child: Run }> {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const clock = (): number => Date.UTC(2026, 0, 1);
  const study = await Run.create({
    root,
    name: "bias-study",
    kind: "study",
    naming: "plain",
    crashHooks: false,
    clock,
  });
  const child = await Run.create({
    root: study.dir,
    name: "simclr-finetune",
    naming: "plain",
    crashHooks: false,
    clock,
    config: { epochs: 3, optim: { lr: 0.3, momentum: 0.9 } },
  });
  for (let step = 0; step < 60; step++) child.log("pretrain/loss", 5.5 * Math.exp(-step / 30) + 0.1 * rnd(), { step });
  for (let step = 60; step < 90; step++)
    child.log("finetune/loss", 0.7 * Math.exp(-(step - 60) / 15) + 0.05 * rnd(), { step });
  for (let epoch = 1; epoch <= 3; epoch++) child.log("val/acc", 0.6 + 0.1 * epoch, { step: 60 + epoch * 10, epoch });
  child.log("lr", 0.3, { step: 0 });
  const classes = ["male", "female"];
  child.chart({
    kind: "confusion",
    title: "Gender confusion (test)",
    data: {
      classes,
      matrix: [
        [410, 90],
        [60, 440],
      ],
    },
  });
  const races = ["White", "Black", "Asian", "Indian", "Other"];
  child.chart({
    kind: "confusion",
    title: "Race confusion (test)",
    data: { classes: races, matrix: races.map((_, i) => races.map((_, j) => (i === j ? 300 - 40 * i : 10 + i * j))) },
  });
  child.chart({
    kind: "distribution",
    title: "Race distribution",
    data: races.flatMap((label, i) => [
      { label, count: 4000 - 600 * i, split: "train" },
      { label, count: 800 - 120 * i, split: "test" },
    ]),
  });
  child.chart({
    kind: "group-bars",
    title: "Accuracy per race (95% CI)",
    data: races.map((group, i) => ({ group, value: 0.9 - 0.04 * i, lo: 0.87 - 0.04 * i, hi: 0.93 - 0.04 * i })),
  });
  child.chart({
    kind: "confidence-hist",
    title: "Confidence: seen vs unseen identities",
    data: {
      seen: Array.from({ length: 400 }, () => Math.min(1, 0.55 + 0.45 * Math.sqrt(rnd()))),
      unseen: Array.from({ length: 400 }, () => 0.2 + 0.6 * rnd()),
    },
  });
  child.chart({
    kind: "identified-rate",
    title: "Identified rate vs threshold",
    data: ["val", "test"].flatMap((split, s) =>
      Array.from({ length: 21 }, (_, i) => ({
        threshold: i / 20,
        rate: Math.max(0, 0.95 - s * 0.05 - (i / 20) ** 3),
        split,
      })),
    ),
  });
  const far = Array.from({ length: 25 }, (_, i) => 10 ** (-5 + i * 0.2));
  child.chart({
    kind: "roc",
    title: "ROC per race",
    data: races
      .slice(0, 3)
      .flatMap((group, g) =>
        far.map((fpr) => ({ fpr, tpr: Math.min(1, 1 - 0.5 * (1 - fpr) ** (40 - 10 * g) * 0.8), group })),
      ),
  });
  child.chart({
    kind: "det",
    title: "DET per race",
    data: races
      .slice(0, 3)
      .flatMap((group, g) => far.map((fmr) => ({ fmr, fnmr: Math.min(1, 0.02 * (1 + g) * fmr ** -0.25), group }))),
  });
  child.chart({
    kind: "reliability",
    title: "Reliability (test)",
    data: {
      ece: 0.042,
      bins: Array.from({ length: 10 }, (_, i) => ({
        confidence: (i + 0.5) / 10,
        accuracy: Math.min(1, ((i + 0.5) / 10) ** 1.3),
        count: 20 + i * 30,
      })),
    },
  });
  child.chart({
    kind: "gap-imbalance",
    title: "Accuracy gap vs imbalance",
    data: ["softmax", "ring", "a-softmax"].flatMap((series, k) =>
      [0.5, 0.6, 0.7, 0.8, 0.9].map((imbalance) => {
        const gap = (imbalance - 0.5) * (0.2 - 0.05 * k);
        return { imbalance, gap, lo: gap - 0.015, hi: gap + 0.015, series };
      }),
    ),
  });
  const grid = await sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toBuffer();
  child.image("augmentations", grid, { step: 0 });
  child.chart({ kind: "image", title: "Augmentation grid", data: { file: "images/augmentations-0.png" } });
  child.chart({
    kind: "table",
    title: "Per-group counts",
    data: {
      columns: ["group", "n"],
      rows: [
        ["White", 800],
        ["Black", 680],
      ],
    },
  });
  child.finish({ test: { accuracy: 0.8512, balanced_accuracy: 0.8123 }, ece: 0.042 });
  study.chart({
    kind: "gap-imbalance",
    title: "Study: gap vs imbalance",
    data: [
      { imbalance: 0.5, gap: 0.01, series: "softmax" },
      { imbalance: 0.9, gap: 0.08, series: "softmax" },
    ],
  });
  study.finish({ runs: 1 });
  return { study, child };
}

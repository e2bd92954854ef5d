// The evaluation suite of a SimCLR encoder, all on the same labelled subsets so the gain reads side by
// side (the issue's "from one command"):
//   linear-probe              frozen pretrained encoder, eval mode, features h before the projection head
//   linear-probe-random-init  the same probe on a randomly initialised encoder of the same shape
//   fine-tune                 pretrained encoder (+ first projection block if fromProjectionLayer=1)
//                             and a fresh linear head, everything trained (evaluate-finetune.ts)
//   scratch                   the same kind of network from random init, trained on the same subset
//   logistic-probe(-random-init)  all training labels: L-BFGS logistic regression on frozen features (h, or
//                             the head's first block) with L2 chosen on a held-out split (logistic.ts)
//   knn(-random-init)         all training labels: weighted kNN on frozen features (eval/knn.ts), k and τ
//                             optionally chosen on a held-out split of the bank (evaluate-knn.ts)
// Labelled subsets are drawn per fraction, stratified by class (every class present, proportions kept;
// the paper samples 1%/10% "in a class-balanced way", solo-learn stratifies).

import { deriveSeed } from "../data/rng.js";
import { stratifiedSplit } from "../data/splits.js";
import { balancedAccuracy, confusionMatrix, perClassRecall } from "../eval/classification.js";
import { knnPredict } from "../eval/knn.js";
import type { Encoder, ProjectionHead } from "../models/heads.js";
import { type Device, keep, manualSeed, type Tensor, tidy } from "../torch/index.js";
import { type FinetuneRun, finetune, loadPretrainedEncoder, projectFeatures } from "./evaluate-finetune.js";
import { chooseKnn } from "./evaluate-knn.js";
import { extractFeatures, labelTensor, take } from "./features.js";
import { logisticProbe } from "./logistic.js";
import { type EvaluateConfig, type LinearProbeConfig, scaledLr } from "./simclr-config.js";
import { linearProbe, type SupervisedEpoch, type SupervisedResult } from "./supervised.js";

export { loadPretrainedEncoder } from "./evaluate-finetune.js";

export type EvalMethod =
  | "linear-probe"
  | "linear-probe-random-init"
  | "fine-tune"
  | "scratch"
  | "logistic-probe"
  | "logistic-probe-random-init"
  | "knn"
  | "knn-random-init";

export interface LabelledTask {
  name: string;
  classNames: readonly string[];
  /** labelled training pool (fractions are drawn from it) and the validation set */
  train: { images: Tensor; labels: Int32Array };
  val: { images: Tensor; labels: Int32Array };
}

export interface EvalRow {
  task: string;
  method: EvalMethod;
  fraction: number;
  labelled: number;
  /** pretraining epoch of the encoder (0 for methods that do not use it) */
  pretrainEpoch: number;
  /** which repetition (evaluate.repeats, 0-based): each draws its own labelled subset and seeds */
  repeat: number;
  accuracy: number;
  balancedAccuracy: number;
  perClassRecall: number[];
  confusion: number[][];
  epochs: number;
  failure?: { kind: string; message: string; epoch: number };
  history: { epoch: number; loss: number; accuracy: number; balancedAccuracy: number }[];
}

export interface EvalSuiteOptions {
  /** builds a fresh, randomly initialised encoder of the pretrained architecture (seeded by the caller) */
  makeEncoder: () => Encoder;
  /** the pretrained model's state dict (encoder.* and head.* keys) */
  pretrained: Map<string, Tensor>;
  /** builds the projection head matching `pretrained` (for fromProjectionLayer = 1) */
  makeHead: (featureDim: number) => ProjectionHead;
  pretrainEpoch: number;
  /**
   * where the encoders are evaluated (the run's `device`, default cpu): feature extraction, fine-tune
   * and from-scratch training run there; features come back to the host for the probes and metrics
   */
  device?: Device;
  tasks: LabelledTask[];
  cfg: EvaluateConfig;
  seed: number;
  onEpoch?: (task: string, method: EvalMethod, fraction: number, r: SupervisedEpoch) => void;
  onRow?: (row: EvalRow) => void;
  log?: (msg: string) => void;
}

const asRow = (
  r: SupervisedResult,
  base: Omit<EvalRow, "accuracy" | "balancedAccuracy" | "perClassRecall" | "confusion" | "epochs" | "history">,
): EvalRow => ({
  ...base,
  accuracy: r.final.accuracy,
  balancedAccuracy: r.final.balancedAccuracy,
  perClassRecall: r.final.perClassRecall,
  confusion: r.final.confusion,
  epochs: r.history.at(-1)?.epoch ?? 0,
  ...(r.failure && { failure: r.failure }),
  history: r.history.map((h) => ({
    epoch: h.epoch,
    loss: h.loss,
    accuracy: h.val.accuracy,
    balancedAccuracy: h.val.balancedAccuracy,
  })),
});

/** Indices of a class-stratified subset of `fraction` of the labels (all of them for fraction 1). */
export function labelledSubset(labels: Int32Array, fraction: number, seed: number): Int32Array {
  if (fraction >= 1) return Int32Array.from(labels.keys());
  const s = stratifiedSplit(labels, { take: fraction, rest: 1 - fraction }, seed);
  return s.indices[0]!;
}

export async function runEvalSuite(o: EvalSuiteOptions): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  const push = (r: EvalRow) => {
    rows.push(r);
    o.onRow?.(r);
    o.log?.(
      `${r.task} ${(r.fraction * 100).toFixed(r.fraction < 0.1 ? 1 : 0)}%${r.repeat > 0 ? ` (repeat ${r.repeat + 1})` : ""} ${r.method}: ` +
        `accuracy ${(r.accuracy * 100).toFixed(2)}%, balanced ${(r.balancedAccuracy * 100).toFixed(2)}%` +
        `${r.failure ? ` — STOPPED: ${r.failure.message}` : ""}`,
    );
  };
  for (const task of o.tasks) {
    const f = taskFeatures(o, task);
    try {
      if (o.cfg.knn.enabled) knnRows(o, task, f, push);
      if (o.cfg.logisticProbe.enabled) logisticRows(o, task, f, push);
      for (let rep = 0; rep < o.cfg.repeats; rep++) await evalRepeat(o, task, rep, f, push);
    } finally {
      for (const t of [...(f.pre ?? []), ...(f.rnd ?? [])]) t.dispose();
    }
  }
  return rows;
}

/** The linear probe's optimisation settings from the config (LR scaled linearly with the batch, paper B.6). */
const probeOptions = (lp: LinearProbeConfig) => ({
  epochs: lp.epochs,
  batchSize: lp.batchSize,
  lr: scaledLr(lp.lr, lp.batchSize, "linear"),
  weightDecay: lp.weightDecay,
});

/** A seed for repetition `rep`; repetition 0 keeps the one-repeat seeds, so adding repeats changes no result. */
const repSeed = (rep: number, seed: number, ...keys: number[]) =>
  rep === 0 ? deriveSeed(seed, ...keys) : deriveSeed(seed, ...keys, 0x5eed, rep);

/** Train and validation features of a task from the pretrained encoder, or from a random one (seeded by rep). */
function probeFeatures(o: EvalSuiteOptions, task: LabelledTask, pretrained: boolean, rep: number) {
  return tidy(() => {
    manualSeed(repSeed(rep, o.seed, 0xe11c));
    const enc = o.makeEncoder();
    try {
      if (pretrained) loadPretrainedEncoder(enc, o.pretrained);
      enc.to(o.device ?? "cpu");
      return [keep(extractFeatures(enc, task.train.images)), keep(extractFeatures(enc, task.val.images))] as const;
    } finally {
      enc.dispose();
    }
  });
}

type Features = readonly [Tensor, Tensor];

/**
 * A task's frozen features, each extracted once and shared by every row that reads it: the pretrained
 * encoder's (kNN, L-BFGS, linear probes) and repetition 0's random-init encoder's (their baselines).
 */
interface TaskFeatures {
  pre?: Features;
  rnd?: Features;
}

function taskFeatures(o: EvalSuiteOptions, task: LabelledTask): TaskFeatures {
  const { knn, logisticProbe: lp, linearProbe: probe, labelFractions, repeats } = o.cfg;
  const probes = probe.enabled && labelFractions.length > 0 && repeats > 0;
  const rndWanted =
    (knn.enabled && knn.randomInitBaseline) ||
    (lp.enabled && lp.randomInitBaseline) ||
    (probes && probe.randomInitBaseline);
  const pre = knn.enabled || lp.enabled || probes ? probeFeatures(o, task, true, 0) : undefined;
  try {
    return { pre, rnd: rndWanted ? probeFeatures(o, task, false, 0) : undefined };
  } catch (e) {
    for (const t of pre ?? []) t.dispose();
    throw e;
  }
}

/** The pretrained features, then the random-init ones when that baseline is asked for. */
function pairs(f: TaskFeatures, randomInit: boolean): [Features, boolean][] {
  const out: [Features, boolean][] = [];
  if (f.pre) out.push([f.pre, true]);
  if (randomInit && f.rnd) out.push([f.rnd, false]);
  return out;
}

/** A row scored with all of a task's labels (kNN, L-BFGS: deterministic given the features, so repeat 0). */
const allLabelRow = (
  task: LabelledTask,
  method: EvalMethod,
  pretrainEpoch: number,
  s: Pick<EvalRow, "accuracy" | "balancedAccuracy" | "perClassRecall" | "confusion" | "epochs">,
): EvalRow => ({
  task: task.name,
  method,
  fraction: 1,
  labelled: task.train.labels.length,
  pretrainEpoch,
  repeat: 0,
  ...s,
  history: [],
});

/** The full-label kNN rows. */
function knnRows(o: EvalSuiteOptions, task: LabelledTask, f: TaskFeatures, push: (r: EvalRow) => void): void {
  const { kGrid, temperatureGrid, heldOut, randomInitBaseline } = o.cfg.knn;
  const C = task.classNames.length;
  for (const [x, pretrained] of pairs(f, randomInitBaseline)) {
    let { k, temperature } = o.cfg.knn;
    if (kGrid || temperatureGrid) {
      const c = chooseKnn(
        x[0],
        task.train.labels,
        { ks: kGrid ?? [k], temperatures: temperatureGrid ?? [temperature] },
        { heldOut, numClasses: C, seed: deriveSeed(o.seed, 0x4e11) },
      );
      ({ k, temperature } = c);
      o.log?.(
        `${task.name} ${pretrained ? "knn" : "knn-random-init"}: k ${k}, τ ${temperature} (held-out ` +
          `${c.heldOut.map((h) => `k ${h.k} τ ${h.temperature}: ${(h.accuracy * 100).toFixed(2)}%`).join(", ")})`,
      );
    }
    const pred = tidy(() => knnPredict(x[0], labelTensor(task.train.labels), x[1], { k, temperature, numClasses: C }));
    const cm = confusionMatrix(task.val.labels, pred, C);
    push(
      allLabelRow(task, pretrained ? "knn" : "knn-random-init", pretrained ? o.pretrainEpoch : 0, {
        accuracy: pred.reduce((s, p, i) => s + (p === task.val.labels[i] ? 1 : 0), 0) / pred.length,
        balancedAccuracy: balancedAccuracy(task.val.labels, pred, C),
        perClassRecall: perClassRecall(cm),
        confusion: cm,
        epochs: 0,
      }),
    );
  }
}

/** The full-label logistic probes on h. */
function logisticRows(o: EvalSuiteOptions, task: LabelledTask, f: TaskFeatures, push: (r: EvalRow) => void): void {
  const lp = o.cfg.logisticProbe;
  for (const [h, pretrained] of pairs(f, lp.randomInitBaseline)) {
    const method: EvalMethod = pretrained ? "logistic-probe" : "logistic-probe-random-init";
    const x = lp.fromProjectionLayer === 1 ? projectFeatures(o, h, pretrained, deriveSeed(o.seed, 0xe11c, 0x4ead)) : h;
    let r: ReturnType<typeof logisticProbe>;
    try {
      r = logisticProbe({ x: x[0], y: task.train.labels }, { x: x[1], y: task.val.labels }, task.classNames.length, {
        l2Grid: lp.l2Grid,
        heldOut: lp.heldOut,
        maxIter: lp.maxIter,
        seed: deriveSeed(o.seed, 0x1091c),
      });
    } finally {
      if (x !== h) for (const t of x) t.dispose();
    }
    o.log?.(
      `${task.name} ${method}${x !== h ? " (head block 0)" : ""}: λ ${r.l2} (held-out ${r.heldOutAccuracy.map((a) => a.accuracy.toFixed(4)).join(" ")})`,
    );
    push(
      allLabelRow(task, method, pretrained ? o.pretrainEpoch : 0, {
        accuracy: r.accuracy,
        balancedAccuracy: r.balancedAccuracy,
        perClassRecall: r.perClassRecall,
        confusion: r.confusion,
        epochs: r.fit.iterations,
      }),
    );
  }
}

/**
 * One repetition: every method at every labelled fraction. A repetition draws its own labelled
 * subsets, head and random-init encoder seeds; within it all methods share the subset, so
 * SimCLR − baseline differences are paired.
 */
async function evalRepeat(
  o: EvalSuiteOptions,
  task: LabelledTask,
  rep: number,
  f: TaskFeatures,
  push: (r: EvalRow) => void,
): Promise<void> {
  const { cfg } = o;
  if (cfg.labelFractions.length === 0) return; // only the all-label rows (kNN, L-BFGS) were asked for
  const C = task.classNames.length;
  const pre = cfg.linearProbe.enabled ? f.pre : undefined;
  // Repetition 0's random-init encoder is the all-label rows' one (same seed): extracted once per task.
  const own = pre && cfg.linearProbe.randomInitBaseline && rep > 0 ? probeFeatures(o, task, false, rep) : undefined;
  const rnd = pre && cfg.linearProbe.randomInitBaseline ? (own ?? f.rnd) : undefined;
  try {
    for (const fraction of cfg.labelFractions) {
      const key = Math.round(fraction * 1e6);
      const idx = labelledSubset(task.train.labels, fraction, repSeed(rep, o.seed, key));
      const labels = Int32Array.from(idx, (i) => task.train.labels[i]!);
      const base = { task: task.name, fraction, labelled: idx.length, repeat: rep };
      const seed = repSeed(rep, o.seed, key, 1);
      const probe = async (x: Features, method: EvalMethod, pretrainEpoch: number) => {
        const r = await tidy(async () =>
          linearProbe(take(x[0], idx), labels, x[1], task.val.labels, C, {
            ...probeOptions(cfg.linearProbe),
            seed,
            onEpoch: (e: SupervisedEpoch) => o.onEpoch?.(task.name, method, fraction, e),
          }),
        );
        push(asRow(r, { ...base, method, pretrainEpoch }));
      };
      if (pre) await probe(pre, "linear-probe", o.pretrainEpoch);
      if (rnd) await probe(rnd, "linear-probe-random-init", 0);
      const subset = tidy(() => ({ images: keep(take(task.train.images, idx)), labels }));
      try {
        const run = (pretrained: boolean): FinetuneRun => ({
          task: task.name,
          classNames: task.classNames,
          subset,
          val: task.val,
          device: o.device,
          // the scratch encoder's random init is the probe baseline's (same seed)
          seeds: { init: repSeed(rep, o.seed, 0xe11c), run: seed },
          probe: probeOptions(cfg.linearProbe),
          onEpoch: (r) => o.onEpoch?.(task.name, pretrained ? "fine-tune" : "scratch", fraction, r),
        });
        if (cfg.finetune.enabled)
          push(
            asRow(await finetune(o, run(true), cfg.finetune, true), {
              ...base,
              method: "fine-tune",
              pretrainEpoch: o.pretrainEpoch,
            }),
          );
        if (cfg.scratch.enabled)
          push(
            asRow(await finetune(o, run(false), cfg.scratch, false), { ...base, method: "scratch", pretrainEpoch: 0 }),
          );
      } finally {
        subset.images.dispose();
      }
    }
  } finally {
    for (const t of own ?? []) t.dispose();
  }
}

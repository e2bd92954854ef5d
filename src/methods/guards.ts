// Fine-tuning guards for the seed's gender failure (seed §4.1: "the fine-tuning loss stayed constant …
// the model only predicted class 0"). Instead of training on silently, a supervised run checks, once per
// epoch, the things that produce that picture (reference/simclr.md §4 "The face-gender failure"):
//  - predictions collapsed to one class (report balanced accuracy and per-class recall, not only accuracy),
//  - the loss not moving from ln C (the value of a zero/near-uniform head),
//  - the new head's parameters missing from the optimizer, a zero LR after the schedule, non-finite grads.
// When one fires the run stops with a TrainingFailure whose message explains the cause and what to try.
import { PREDICTION_COLLAPSE } from "../eval/classification.js";
import { bincount, noGrad, type Tensor, tidy } from "../torch/index.js";

/** A stop-and-explain failure of a training run: `kind` names the check, `message` says what to try. */
export class TrainingFailure extends Error {
  constructor(
    readonly kind:
      | "prediction-collapse"
      | "loss-stuck"
      | "head-not-optimized"
      | "zero-lr"
      | "non-finite"
      | "representation-collapse",
    message: string,
  ) {
    super(message);
    this.name = "TrainingFailure";
  }
}

/** Accuracy, balanced accuracy, per-class recall and the predicted-class distribution of one evaluation. */
export interface ClassificationReport {
  accuracy: number;
  balancedAccuracy: number;
  perClassRecall: number[];
  /** confusion[t][p]: count of samples of true class t predicted as p */
  confusion: number[][];
  /** number of samples per true class */
  support: number[];
  /** fraction of predictions per class */
  predictedShare: number[];
  n: number;
}

/** Builds the report from integer predictions and targets (any shape, int64 or int32). */
export function classificationReport(pred: Tensor, target: Tensor, numClasses: number): ClassificationReport {
  if (pred.numel !== target.numel)
    throw new RangeError(`classificationReport: ${pred.numel} predictions but ${target.numel} targets`);
  const counts = tidy(() =>
    noGrad(() => {
      const idx = target
        .reshape([-1])
        .long()
        .mul(numClasses)
        .add(pred.reshape([-1]).long());
      return bincount(idx, numClasses * numClasses).toNumbers();
    }),
  );
  return reportFromConfusion(
    Array.from({ length: numClasses }, (_, t) => counts.slice(t * numClasses, (t + 1) * numClasses)),
  );
}

/** The same report from a confusion matrix (rows: true class, columns: predicted class). */
export function reportFromConfusion(confusion: number[][]): ClassificationReport {
  const C = confusion.length;
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const n = support.reduce((a, b) => a + b, 0);
  const correct = confusion.reduce((a, row, t) => a + (row[t] ?? 0), 0);
  const perClassRecall = confusion.map((row, t) => (support[t]! > 0 ? (row[t] ?? 0) / support[t]! : Number.NaN));
  const present = perClassRecall.filter((r) => !Number.isNaN(r));
  const predicted = Array.from({ length: C }, (_, p) => confusion.reduce((a, row) => a + (row[p] ?? 0), 0));
  return {
    accuracy: n > 0 ? correct / n : Number.NaN,
    // Balanced accuracy = mean recall over the classes present; a one-class predictor scores 1/C here
    // whatever the class balance, which is what makes the seed's failure visible.
    balancedAccuracy: present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : Number.NaN,
    perClassRecall,
    confusion,
    support,
    predictedShare: predicted.map((c) => (n > 0 ? c / n : 0)),
    n,
  };
}

/** Returns the explanation when ≥ `maxShare` of predictions go to one class although the data has several. */
export function collapseGuard(
  report: ClassificationReport,
  maxShare: number = PREDICTION_COLLAPSE.stop,
): string | null {
  const classesPresent = report.support.filter((s) => s > 0).length;
  if (classesPresent < 2 || report.n < 10) return null;
  const top = Math.max(...report.predictedShare);
  if (top < maxShare) return null;
  const cls = report.predictedShare.indexOf(top);
  const majority = Math.max(...report.support) / report.n;
  return (
    `predictions collapsed: ${(top * 100).toFixed(1)}% of ${report.n} samples are predicted as class ${cls} ` +
    `(accuracy ${(report.accuracy * 100).toFixed(1)}% ≈ the majority share ${(majority * 100).toFixed(1)}%, ` +
    `balanced accuracy ${(report.balancedAccuracy * 100).toFixed(1)}% = chance for ${classesPresent} classes). ` +
    "Likely causes: the classifier head is not being trained (not in the optimizer, LR 0 after the schedule), " +
    "the LR is too high for the encoder's weight scale (try 10x lower, or LARS), or class imbalance makes the " +
    "majority class a cheap minimum (set finetune.classWeights: balanced or finetune.balancedSampling: true)."
  );
}

/**
 * Returns the explanation when the training loss has stayed within `tol` (relative) of ln C for the
 * last `patience` epochs: a head whose logits never move gives exactly ln C (zero-init head, google
 * `--zero_init_logits_layer`), so a loss that stays there means nothing is learning (seed Fig. 3b).
 */
export function lossStuck(epochLosses: number[], numClasses: number, patience = 3, tol = 0.02): string | null {
  if (epochLosses.length < patience) return null;
  const lnC = Math.log(numClasses);
  const last = epochLosses.slice(-patience);
  const flatAtLnC = last.every((l) => Math.abs(l - lnC) <= tol * lnC);
  const spread = Math.max(...last) - Math.min(...last);
  const flat = spread <= 1e-4 * Math.max(1, Math.abs(last[0]!));
  if (!flatAtLnC && !flat) return null;
  const where = flatAtLnC ? `at ln(${numClasses}) = ${lnC.toFixed(4)}` : `at ${last[0]!.toFixed(4)}`;
  return (
    `the training loss has not moved for ${patience} epochs (${last.map((l) => l.toFixed(4)).join(", ")}), ${where}. ` +
    "Check that the head's parameters are in the optimizer, that the LR after warmup/schedule is > 0, and that " +
    "the gradients are finite; then try a 10x smaller or larger LR."
  );
}

/** Throws when a parameter the method must train is not among the optimizer's parameters. */
export function assertParamsOptimized(mustTrain: Map<string, Tensor>, optimized: Tensor[]): void {
  const set = new Set(optimized);
  const missing = [...mustTrain].filter(([, p]) => !set.has(p)).map(([n]) => n);
  if (missing.length > 0)
    throw new TrainingFailure(
      "head-not-optimized",
      `these parameters must be trained but are not in the optimizer: ${missing.slice(0, 6).join(", ")}` +
        `${missing.length > 6 ? ` (+${missing.length - 6} more)` : ""}. A head outside the optimizer keeps its ` +
        "initial weights and the loss stays constant.",
    );
  const frozen = [...mustTrain].filter(([, p]) => !p.requiresGrad).map(([n]) => n);
  if (frozen.length > 0)
    throw new TrainingFailure("head-not-optimized", `these parameters have requiresGrad=false: ${frozen.join(", ")}`);
}

/** Throws when the LR that a step will use is not a positive finite number. */
export function assertLrPositive(lr: number, where: string): void {
  if (!(Number.isFinite(lr) && lr > 0))
    throw new TrainingFailure(
      "zero-lr",
      `the learning rate at ${where} is ${lr}; after warmup and schedule it must be > 0 (a cosine stepped past ` +
        "its end, or a schedule sized in epochs but stepped per batch, gives 0 — sthalles/SimCLR#8).",
    );
}

/** Sum of squared gradient norms over params, and the names of those with NaN/Inf gradients. */
export function gradientHealth(named: Map<string, Tensor>): { norm: number; nonFinite: string[]; missing: string[] } {
  return tidy(() =>
    noGrad(() => {
      let sq = 0;
      const nonFinite: string[] = [];
      const missing: string[] = [];
      for (const [name, p] of named) {
        const g = p.grad;
        if (g === null || g === undefined) {
          missing.push(name);
          continue;
        }
        const s = g.double().square().sum().item();
        g.dispose();
        if (!Number.isFinite(s)) nonFinite.push(name);
        else sq += s;
      }
      return { norm: Math.sqrt(sq), nonFinite, missing };
    }),
  );
}

/** Throws when any gradient is NaN/Inf (AMP or a too-high LR; lightly#1824, mmpretrain#1599). */
export function assertFiniteGrads(named: Map<string, Tensor>, where: string): number {
  const h = gradientHealth(named);
  if (h.nonFinite.length > 0)
    throw new TrainingFailure(
      "non-finite",
      `non-finite gradients at ${where} in ${h.nonFinite.slice(0, 6).join(", ")}. Lower the LR, check the inputs ` +
        "for NaN, and check the loss for log(0).",
    );
  return h.norm;
}

/** Throws when a loss value is NaN/Inf. */
export function assertFiniteLoss(loss: number, where: string): void {
  if (!Number.isFinite(loss))
    throw new TrainingFailure("non-finite", `the loss is ${loss} at ${where}; lower the LR or check the inputs.`);
}

/**
 * Inverse-frequency class weights (sklearn's "balanced": n / (C · count_c), C = classes present) for a
 * weighted cross entropy; the weights average to 1 over the samples. Absent classes get weight 0.
 */
export function balancedClassWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 0));
}

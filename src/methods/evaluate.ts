// The evaluation suite of a SimCLR encoder, all on the same labelled subsets so the gain reads side by
// side (the issue's "from one command"):
//   linear-probe              frozen pretrained encoder, eval mode, features h before the projection head
//   linear-probe-random-init  the same probe on a randomly initialised encoder of the same shape
//   fine-tune                 pretrained encoder (+ first projection block if fromProjectionLayer=1)
//                             and a fresh linear head, everything trained
//   scratch                   the same network from random init, trained on the same subset
// Labelled subsets are drawn per fraction, stratified by class (every class present, proportions kept;
// the paper samples 1%/10% "in a class-balanced way", solo-learn stratifies).

import { deriveSeed } from "../data/rng.js";
import { stratifiedSplit } from "../data/splits.js";
import { keep, manualSeed, type Tensor, tidy } from "../torch/index.js";
import type { Sequential } from "../torch/nn/index.js";
import { extractFeatures, take } from "./features.js";
import { type Encoder, EncoderClassifier, type ProjectionHead } from "./heads.js";
import { type EvaluateConfig, type FinetuneConfig, scaledLr } from "./simclr-config.js";
import { type EpochRecord, linearProbe, type SupervisedResult, trainNetwork } from "./supervised.js";
import { cropFlip } from "./views.js";

export type EvalMethod = "linear-probe" | "linear-probe-random-init" | "fine-tune" | "scratch";

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
  tasks: LabelledTask[];
  cfg: EvaluateConfig;
  seed: number;
  onEpoch?: (task: string, method: EvalMethod, fraction: number, r: EpochRecord) => void;
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

/** Encoder weights (and optionally the first projection block) from a SimCLR state dict. */
export function loadPretrainedEncoder(enc: Encoder, state: Map<string, Tensor>): void {
  const sub = new Map([...state].filter(([k]) => k.startsWith("encoder.")).map(([k, v]) => [k.slice(8), v]));
  enc.loadStateDict(sub);
}

function headBlock0(head: ProjectionHead, state: Map<string, Tensor>): Sequential {
  const sub = new Map([...state].filter(([k]) => k.startsWith("head.")).map(([k, v]) => [k.slice(5), v]));
  head.loadStateDict(sub);
  return head.blocks[0]!;
}

export async function runEvalSuite(o: EvalSuiteOptions): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  const { cfg } = o;
  const push = (r: EvalRow) => {
    rows.push(r);
    o.onRow?.(r);
    o.log?.(
      `${r.task} ${(r.fraction * 100).toFixed(r.fraction < 0.1 ? 1 : 0)}% ${r.method}: accuracy ${(r.accuracy * 100).toFixed(2)}%, ` +
        `balanced ${(r.balancedAccuracy * 100).toFixed(2)}%${r.failure ? ` — STOPPED: ${r.failure.message}` : ""}`,
    );
  };
  for (const task of o.tasks) {
    const C = task.classNames.length;
    // Frozen features once per encoder: the probes of every fraction reuse them.
    const probeFeatures = (pretrained: boolean) =>
      tidy(() => {
        manualSeed(deriveSeed(o.seed, 0xe11c));
        const enc = o.makeEncoder();
        try {
          if (pretrained) loadPretrainedEncoder(enc, o.pretrained);
          return [keep(extractFeatures(enc, task.train.images)), keep(extractFeatures(enc, task.val.images))] as const;
        } finally {
          enc.dispose();
        }
      });
    const feats = cfg.linearProbe.enabled
      ? { pre: probeFeatures(true), rnd: cfg.linearProbe.randomInitBaseline ? probeFeatures(false) : undefined }
      : undefined;
    try {
      for (const fraction of cfg.labelFractions) {
        const idx = labelledSubset(task.train.labels, fraction, deriveSeed(o.seed, Math.round(fraction * 1e6)));
        const labels = Int32Array.from(idx, (i) => task.train.labels[i]!);
        const base = { task: task.name, fraction, labelled: idx.length };
        const seed = deriveSeed(o.seed, Math.round(fraction * 1e6), 1);
        if (feats) {
          const lp = cfg.linearProbe;
          const probeOpts = {
            epochs: lp.epochs,
            batchSize: lp.batchSize,
            lr: scaledLr(lp.lr, lp.batchSize, "linear"),
            weightDecay: lp.weightDecay,
            seed,
          };
          const probe = (f: readonly [Tensor, Tensor], method: EvalMethod) =>
            tidy(async () =>
              linearProbe(take(f[0], idx), labels, f[1], task.val.labels, C, {
                ...probeOpts,
                onEpoch: (r: EpochRecord) => o.onEpoch?.(task.name, method, fraction, r),
              }),
            );
          push(
            asRow(await probe(feats.pre, "linear-probe"), {
              ...base,
              method: "linear-probe",
              pretrainEpoch: o.pretrainEpoch,
            }),
          );
          if (feats.rnd)
            push(
              asRow(await probe(feats.rnd, "linear-probe-random-init"), {
                ...base,
                method: "linear-probe-random-init",
                pretrainEpoch: 0,
              }),
            );
        }
        const subset = tidy(() => ({ images: keep(take(task.train.images, idx)), labels }));
        try {
          if (cfg.finetune.enabled)
            push(
              asRow(await supervised(o, task, subset, fraction, cfg.finetune, true, seed), {
                ...base,
                method: "fine-tune",
                pretrainEpoch: o.pretrainEpoch,
              }),
            );
          if (cfg.scratch.enabled)
            push(
              asRow(await supervised(o, task, subset, fraction, cfg.scratch, false, seed), {
                ...base,
                method: "scratch",
                pretrainEpoch: 0,
              }),
            );
        } finally {
          subset.images.dispose();
        }
      }
    } finally {
      for (const t of [...(feats?.pre ?? []), ...(feats?.rnd ?? [])]) t.dispose();
    }
  }
  return rows;
}

/** Fine-tune (pretrained) or from-scratch training of encoder + fresh head on one labelled subset. */
async function supervised(
  o: EvalSuiteOptions,
  task: LabelledTask,
  subset: { images: Tensor; labels: Int32Array },
  fraction: number,
  ft: FinetuneConfig,
  pretrained: boolean,
  seed: number,
): Promise<SupervisedResult> {
  manualSeed(deriveSeed(o.seed, 0xe11c)); // same random init for the scratch encoder as the probe baseline
  const enc = o.makeEncoder();
  let proj: Sequential | null = null;
  let projWidth = 0;
  let head: ProjectionHead | undefined;
  if (pretrained) {
    loadPretrainedEncoder(enc, o.pretrained);
    if (ft.fromProjectionLayer === 1) {
      head = o.makeHead(enc.featureDim);
      proj = headBlock0(head, o.pretrained);
      projWidth = head.widthAfter(1);
    }
  }
  manualSeed(deriveSeed(seed, pretrained ? 1 : 2));
  const model = new EncoderClassifier(enc, task.classNames.length, proj, projWidth);
  try {
    return await trainNetwork(
      model,
      new Map(model.fc.namedParameters().map(([k, v]) => [`fc.${k}`, v])),
      subset,
      task.val,
      task.classNames.length,
      {
        epochs: ft.epochs,
        minSteps: ft.minSteps,
        batchSize: ft.batchSize,
        lr: scaledLr(ft.lr, ft.batchSize, "linear"),
        weightDecay: ft.weightDecay,
        classWeights: ft.classWeights,
        balancedSampling: ft.balancedSampling,
        guards: ft.guards,
        seed,
        augment: cropFlip(ft.cropScale),
        onEpoch: (r) => o.onEpoch?.(task.name, pretrained ? "fine-tune" : "scratch", fraction, r),
      },
    );
  } finally {
    model.dispose();
    // A head built only to lend its first block: dispose the rest (block 0 went with the model).
    if (head) for (const b of head.blocks.slice(1)) b.dispose();
  }
}

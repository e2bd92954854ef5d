// Self-supervised pretraining on the shared Trainer: two augmented views of each image go to a
// method (SimCLR, BYOL — each a model implementing SelfSupervised) that returns its loss; this
// harness supplies the batches and views and, at each epoch's end, the online monitors — mean loss,
// positive-pair (contrastive) accuracy, kNN accuracy of h, an online linear probe on detached
// features, alignment and feature spread — and warnings when the representation collapses.
//
// Resume is exact (trainer.ts): epoch e's batch order and augmentation come from the Rng the Trainer
// reseeds with (seed, e). Data-parallel: every rank draws the same global batch and its views and
// keeps its contiguous 1/W of the pairs; BatchNorm statistics stay per worker, as in PyTorch DDP,
// unless cfg.syncBatchNorm makes them global. Only rank 0 saves checkpoints.
import { deriveSeed, type Rng } from "../data/rng.js";
import type { Encoder } from "../models/heads.js";
import { toDevice } from "../torch/device.js";
import { keep, type Tensor } from "../torch/index.js";
import type { Module } from "../torch/nn/index.js";
import type { CheckpointFiles } from "./checkpoint.js";
import { epochBatches, take } from "./features.js";
import { type RepresentationStats, representationStats } from "./monitors.js";
import { type MonitorData, OnlineEval } from "./online-eval.js";
import { type PretrainConfig, scaledLr } from "./simclr-config.js";
import {
  type EpochRecord,
  type RunControl,
  runControl,
  type StepContext,
  Trainer,
  type TrainingMethod,
} from "./trainer.js";

export type { MonitorData } from "./online-eval.js";

/**
 * Two augmented views, float (N,C,S,S), of a uint8 batch in the cache's pixel layout (N,H,W,C) on the
 * training device; all randomness must come from `rng`.
 */
export type ViewsFn = (x: Tensor, rng: Rng) => [Tensor, Tensor];

/** One step's result: the loss, the positive-pair accuracy, and the two views' embeddings (N each). */
export interface SslStep {
  loss: Tensor;
  contrastiveAccuracy: number;
  z: [Tensor, Tensor];
}

/** What a self-supervised method is: a trained module with an encoder and a loss of two views. */
export interface SelfSupervised extends Module {
  readonly method: string;
  readonly encoder: Encoder;
  sslStep(v1: Tensor, v2: Tensor, ctx: StepContext, cfg: PretrainConfig): Promise<SslStep> | SslStep;
  /** After each optimizer step (BYOL's EMA). */
  afterStep?(ctx: StepContext, cfg: PretrainConfig): void;
  /** Epoch-end warnings from the loss history (current last) and the last batch's statistics. */
  warnings(losses: number[], stats: RepresentationStats | undefined, cfg: PretrainConfig): string[];
  /** Tensors outside the trained module that resume needs (BYOL's target network). */
  extraState?(): Map<string, Tensor>;
  loadExtraState?(state: Map<string, Tensor>): void;
}

export interface PretrainEpoch extends EpochRecord {
  contrastiveAccuracy: number;
  knnAccuracy?: number;
  onlineProbeAccuracy?: number;
  stats?: RepresentationStats;
  warnings: string[];
}

/** checkpoints (without them nothing is saved, no resume), resume, stopAfterEpoch and compute: RunControl's. */
export interface PretrainOptions extends Omit<RunControl, "checkpointEvery"> {
  cfg: PretrainConfig;
  seed: number;
  /** unlabeled pool, uint8 N×C×H×W */
  pool: Tensor;
  views: ViewsFn;
  monitor?: MonitorData;
  onEpoch?: (r: PretrainEpoch) => void | Promise<void>;
  /** after each optimizer step: its loss and lr (progress bars, schedule checks) */
  onStep?: (s: { epoch: number; step: number; loss: number; lr: number }) => void;
  onCheckpoint?: (f: CheckpointFiles) => void | Promise<void>;
  /** where warnings go (default console.warn) */
  warn?: (msg: string) => void;
  /** wall-clock reading for `seconds` (injectable) */
  now?: () => number;
}

export interface PretrainResult {
  history: PretrainEpoch[];
  /** first epoch run in this call (0-based count of epochs already done before it) */
  startEpoch: number;
  stoppedEarly: boolean;
  /** kNN accuracy of the encoder at its random initialisation (only when this call started at epoch 0) */
  initialKnnAccuracy?: number;
}

/** Pretrains `model` in place with its own objective; see the file comment. */
export async function pretrain(model: SelfSupervised, o: PretrainOptions): Promise<PretrainResult> {
  const { cfg } = o;
  const warn = o.warn ?? ((m: string) => console.warn(`warning: ${m}`));
  const n = o.pool.shape[0]!;
  const B = cfg.batchSize;
  if (n < B) throw new RangeError(`pretrain: the pool has ${n} images, fewer than one batch of ${B}`);
  const online = new OnlineEval(model.encoder, o.monitor, cfg);
  let initialKnnAccuracy: number | undefined;
  let batches: Int32Array[] = [];
  let last: [Tensor, Tensor] | undefined;
  const method: TrainingMethod<PretrainEpoch> = {
    name: model.method,
    model,
    stepsPerEpoch: () => Math.floor(n / B), // drop_last: NT-Xent and BN want full batches
    beginEpoch: (_epoch, rng) => {
      batches = epochBatches(n, B, rng, true);
    },
    onStart: async (start) => {
      // The random-init level of the kNN monitor: the baseline the curve should rise above.
      if (start === 0) initialKnnAccuracy = await online.initialKnn();
    },
    trainingStep: async (ctx) => {
      // uint8 crosses to the device (pinned, non-blocking on CUDA), then views are made there: on the
      // CPU by the fused kernel straight from uint8 (N,H,W,C) (src/data/augment/fused.ts; the float
      // (N,C,H,W) batch this passed before took the tensor-op path, ~4× the augmentation's CPU time).
      const x = toDevice(take(o.pool, batches[ctx.batch]!).permute(0, 2, 3, 1).contiguous(), ctx.device);
      let [v1, v2] = o.views(x, ctx.rng);
      if (ctx.world > 1) {
        // Views of the whole global batch on every rank keep the Rng draws of one process.
        v1 = v1.narrow(0, ctx.offset, ctx.local);
        v2 = v2.narrow(0, ctx.offset, ctx.local);
      }
      const s = await model.sslStep(v1, v2, ctx, cfg);
      if (ctx.last) {
        for (const t of last ?? []) t.dispose();
        last = [keep(s.z[0].detach()), keep(s.z[1].detach())];
      }
      return { loss: s.loss, metrics: { acc: s.contrastiveAccuracy } };
    },
    afterStep: model.afterStep ? (ctx) => model.afterStep?.(ctx, cfg) : undefined,
    endEpoch: async (base, history) => {
      const { metrics, ...rest } = base;
      const rec: PretrainEpoch = { ...rest, metrics, contrastiveAccuracy: metrics.acc ?? Number.NaN, warnings: [] };
      if (last) {
        rec.stats = representationStats(last[0], last[1]);
        for (const t of last) t.dispose();
        last = undefined;
      }
      const epoch = base.epoch - 1;
      if (online.due(epoch)) Object.assign(rec, await online.scores(deriveSeed(o.seed, epoch, 0x9b0e)));
      rec.warnings = model.warnings([...history.map((h) => h.loss), rec.loss], rec.stats, cfg);
      for (const w of rec.warnings) warn(`epoch ${base.epoch}: ${w}`);
      return rec;
    },
    extraState: () => new Map([...online.state(), ...(model.extraState?.() ?? [])]),
    loadExtraState: (st) => {
      online.loadState(st);
      model.loadExtraState?.(st);
    },
  };
  const trainer = new Trainer({
    epochs: cfg.epochs,
    seed: o.seed,
    batchSize: B,
    optimizer: {
      optimizer: cfg.optimizer,
      lr: scaledLr(cfg.lr, B, cfg.lrScaling),
      momentum: cfg.momentum,
      weightDecay: cfg.weightDecay,
      eta: cfg.eta,
    },
    warmupEpochs: cfg.warmupEpochs,
    syncBatchNorm: cfg.syncBatchNorm,
    ...runControl({ ...o, checkpointEvery: cfg.checkpointEvery }),
    onStep: o.onStep,
    onEpoch: o.onEpoch as ((r: EpochRecord) => void | Promise<void>) | undefined,
    onCheckpoint: o.onCheckpoint,
    now: o.now,
  });
  try {
    const r = await trainer.fit(method);
    return { ...r, initialKnnAccuracy };
  } finally {
    for (const t of last ?? []) t.dispose();
    online.dispose();
  }
}

// Identity-classification training for face recognition (and the CIFAR/Fashion-MNIST baselines), a
// method on the shared Trainer (../trainer.ts): SGD with momentum, its one warm-up + cosine schedule
// and weight-decay exclusion (BatchNorm, biases, Ring loss's radius — face.evoLVe: "wd not applied to
// BN params"). Data-parallel under `facelab launch`: every rank builds the same global batch from the
// same seeded permutation and keeps its contiguous 1/W of the rows, so W workers with global batch B
// take the steps one process with batch B takes (up to BatchNorm, per rank unless syncBatchNorm).
import type { FaceRecNet } from "../../models/facerec.js";
import { moduleDevice, toDevice, toHost } from "../../torch/device.js";
import { cat, keep, noGrad, randperm, type Tensor, TorchError, tidy } from "../../torch/index.js";
import { type EpochRecord, type RunControl, runControl, Trainer, type TrainingMethod } from "../trainer.js";
import type { Recognizer } from "./recognizer.js";

export interface LabelledImages {
  /** (N,C,H,W) uint8 in [0,255] or float already normalised. */
  images: Tensor;
  /** (N) int64 class ids in [0, numClasses). */
  labels: Tensor;
}

/**
 * Compute settings, checkpoints and resume are the Trainer's (RunControl): a resumed run takes exactly
 * the steps of an uninterrupted one, margin-head state included (head.iteration, Ring's radius).
 */
export interface TrainOptions extends RunControl {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum?: number;
  weightDecay?: number;
  warmupEpochs?: number;
  /** Global gradient-norm cap (opensphere's GA-Softmax config: 5); absent = none. */
  clipGradNorm?: number;
  seed?: number;
  /** Batched augmentation applied to each normalised float batch (training only). */
  augment?: (x: Tensor, step: number) => Tensor;
  /** Called after each step with its loss (for progress bars and metrics logs). */
  onStep?: (s: StepStats) => void;
  /** Called after each epoch (may evaluate, log, checkpoint). */
  onEpoch?: (e: EpochStats) => void | Promise<void>;
  /** Under `facelab launch`: BatchNorm statistics over the global batch (SyncBatchNorm) while training. */
  syncBatchNorm?: boolean;
}

export interface StepStats {
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  batchSize: number;
}

export interface EpochStats {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  seconds: number;
  lr: number;
}

/** uint8 (N,C,H,W) → float in [−1, 1] (opensphere's image_pipeline normalisation). */
export function toInput(images: Tensor): Tensor {
  if (images.dtype === "uint8") return images.float().div(127.5).sub(1);
  return images.float();
}

/** Trains model in place on the shared Trainer; returns the per-epoch history. Throws if the loss stops being finite. */
export async function trainRecognizer(model: Recognizer, data: LabelledImages, o: TrainOptions): Promise<EpochStats[]> {
  const n = data.images.shape[0] as number;
  if (data.labels.shape[0] !== n)
    throw new TorchError(`trainRecognizer: ${n} images but ${data.labels.shape[0]} labels`, "ValueError");
  if (n < 2) throw new TorchError("trainRecognizer: need at least 2 training images", "ValueError");
  const batchSize = Math.min(o.batchSize, n);
  // Drop the last partial batch: BatchNorm1d on a batch of 1 has no variance.
  const stepsPerEpoch = Math.max(1, Math.floor(n / batchSize));
  let perm: Tensor | undefined;
  const method: TrainingMethod = {
    name: `${model.head.constructor.name} training`,
    model,
    stepsPerEpoch: () => stepsPerEpoch,
    beginEpoch: () => {
      perm?.dispose();
      perm = keep(randperm(n, { dtype: "int64" })); // from the Trainer's (seed, epoch) generator
    },
    trainingStep: (ctx) => {
      const idx = (perm as Tensor).narrow(0, ctx.batch * batchSize, batchSize);
      let x = toInput(toDevice(data.images.indexSelect(0, idx), ctx.device));
      if (o.augment) x = o.augment(x, ctx.step);
      let y = toDevice(data.labels.indexSelect(0, idx), ctx.device);
      if (ctx.world > 1) {
        // The whole global batch is built and augmented on every rank (cheap next to the
        // forward/backward) so the augmentation draws match a single process exactly.
        x = x.narrow(0, ctx.offset, ctx.local);
        y = y.narrow(0, ctx.offset, ctx.local);
      }
      // Forward under the run's precision; the margin head's logits in fp32 (fp16 margins overflow).
      const out = model.head.call(ctx.autocast(() => model.call(x)).float(), y);
      const accuracy = noGrad(() => out.logits.argmax(1).eq(y).double().mean().item());
      return { loss: out.loss, metrics: { accuracy } };
    },
    divergenceHint: "try a smaller lr, warm-up epochs, clipGradNorm, or (A-Softmax) a larger lambda.min",
  };
  const stats = (r: EpochRecord): EpochStats => ({
    epoch: r.epoch,
    loss: r.loss,
    trainAccuracy: r.metrics.accuracy ?? Number.NaN,
    seconds: r.seconds,
    lr: r.lr,
  });
  const trainer = new Trainer({
    epochs: o.epochs,
    seed: o.seed ?? 0,
    batchSize,
    optimizer: { optimizer: "sgd", lr: o.lr, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 5e-4 },
    warmupEpochs: o.warmupEpochs ?? 0,
    clipGradNorm: o.clipGradNorm,
    syncBatchNorm: o.syncBatchNorm,
    ...runControl(o),
    onStep: o.onStep,
    onEpoch: async (r) => {
      await o.onEpoch?.(stats(r));
    },
  });
  try {
    return (await trainer.fit(method)).history.map(stats);
  } finally {
    perm?.dispose();
  }
}

/**
 * Embeddings and margin-free logits for a set of images, in eval mode (the training flag is restored
 * afterwards), batched. Each batch crosses to the model's device; the results come back to the host
 * for the metric code.
 */
export function embedAll(model: FaceRecNet, images: Tensor, batchSize = 256): { embeddings: Tensor; logits: Tensor } {
  const n = images.shape[0] as number;
  const device = moduleDevice(model);
  const wasTraining = model.training;
  model.eval();
  try {
    const embs: Tensor[] = [];
    const logits: Tensor[] = [];
    return tidy(() =>
      noGrad(() => {
        for (let s = 0; s < n; s += batchSize) {
          const x = toInput(toDevice(images.narrow(0, s, Math.min(batchSize, n - s)), device));
          const e = model.call(x);
          embs.push(toHost(e));
          logits.push(toHost(model.logits(e)));
        }
        return { embeddings: catRows(embs), logits: catRows(logits) };
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

function catRows(ts: Tensor[]): Tensor {
  return ts.length === 1 ? (ts[0] as Tensor) : cat(ts, 0);
}

// Identity-classification training for face recognition (and the CIFAR/Fashion-MNIST baselines):
// SGD with momentum, linear warm-up then cosine decay per step, no weight decay on BatchNorm,
// biases or Ring loss's radius (face.evoLVe: "wd not applied to BN params").
// Data-parallel when a default process group of more than one rank exists (`facelab launch`):
// rank 0's weights are broadcast, every rank builds the same global batch from the same seeded
// permutation and keeps its contiguous 1/W of the rows, and gradients are averaged before the step,
// so W workers with global batch B take the steps one process with batch B takes (up to BatchNorm,
// whose batch statistics are per rank as in PyTorch DDP, unless syncBatchNorm makes them global).

import type { FaceRecNet } from "../../models/facerec.js";
import {
  convertSyncBatchNorm,
  DistributedDataParallel,
  getDefaultGroup,
  reduceMetrics,
  revertSyncBatchNorm,
} from "../../torch/distributed/index.js";
import { cat, manualSeed, noGrad, randperm, type Tensor, TorchError, tidy } from "../../torch/index.js";
import { clipGradNorm, SGD, WarmupCosineLR } from "../../torch/optim/index.js";
import type { Recognizer } from "./recognizer.js";

export interface LabelledImages {
  /** (N,C,H,W) uint8 in [0,255] or float already normalised. */
  images: Tensor;
  /** (N) int64 class ids in [0, numClasses). */
  labels: Tensor;
}

export interface TrainOptions {
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

/** Trains model in place; returns the per-epoch history. Throws if the loss stops being finite. */
export async function trainRecognizer(model: Recognizer, data: LabelledImages, o: TrainOptions): Promise<EpochStats[]> {
  const group = getDefaultGroup();
  const sync = o.syncBatchNorm === true && group !== undefined && group.worldSize > 1;
  if (sync) convertSyncBatchNorm(model, group);
  const dist: { ddp?: DistributedDataParallel<Recognizer> } = {};
  try {
    return await trainSteps(model, data, o, dist);
  } finally {
    // Gradient hooks off and BatchNorm back to per-process, so rank 0 alone can evaluate the model.
    dist.ddp?.dispose();
    if (sync) revertSyncBatchNorm(model);
  }
}

async function trainSteps(
  model: Recognizer,
  data: LabelledImages,
  o: TrainOptions,
  dist: { ddp?: DistributedDataParallel<Recognizer> },
): Promise<EpochStats[]> {
  const n = data.images.shape[0] as number;
  if (data.labels.shape[0] !== n)
    throw new TorchError(`trainRecognizer: ${n} images but ${data.labels.shape[0]} labels`, "ValueError");
  if (n < 2) throw new TorchError("trainRecognizer: need at least 2 training images", "ValueError");
  manualSeed(o.seed ?? 0);
  const batchSize = Math.min(o.batchSize, n);
  const group = getDefaultGroup();
  const world = group?.worldSize ?? 1;
  if (batchSize % world !== 0)
    throw new TorchError(
      `trainRecognizer: the global batch size ${batchSize} must be divisible by the number of workers (${world})`,
      "ValueError",
    );
  const local = batchSize / world;
  const ddp = group && world > 1 ? await DistributedDataParallel.wrap(model, { group }) : undefined;
  dist.ddp = ddp;
  // Drop the last partial batch: BatchNorm1d on a batch of 1 has no variance.
  const stepsPerEpoch = Math.max(1, Math.floor(n / batchSize));
  const totalSteps = stepsPerEpoch * o.epochs;
  const decay: [string, Tensor][] = [];
  const noDecay: [string, Tensor][] = [];
  for (const [name, p] of model.namedParameters()) (p.ndim <= 1 ? noDecay : decay).push([name, p]);
  const opt = new SGD(
    [
      { params: decay, weightDecay: o.weightDecay ?? 5e-4 },
      { params: noDecay, weightDecay: 0 },
    ],
    { lr: o.lr, momentum: o.momentum ?? 0.9 },
  );
  const sched = new WarmupCosineLR(opt, {
    warmupSteps: Math.min(totalSteps, Math.round((o.warmupEpochs ?? 0) * stepsPerEpoch)),
    totalSteps,
  });
  const history: EpochStats[] = [];
  let step = 0;
  model.train();
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const perm = randperm(n, { dtype: "int64" });
    for (let b = 0; b < stepsPerEpoch; b++) {
      const lr = opt.paramGroups[0]?.lr ?? o.lr;
      const { loss, hits } = await tidy(async () => {
        const idx = perm.narrow(0, b * batchSize, batchSize);
        let x = toInput(data.images.indexSelect(0, idx));
        if (o.augment) x = o.augment(x, step);
        let y = data.labels.indexSelect(0, idx);
        if (ddp) {
          // The whole global batch is built and augmented on every rank (cheap next to the
          // forward/backward) so the augmentation draws match a single process exactly.
          x = x.narrow(0, ddp.rank * local, local);
          y = y.narrow(0, ddp.rank * local, local);
        }
        const out = model.head.call(model.call(x), y);
        opt.zeroGrad();
        out.loss.backward();
        await ddp?.syncGradients();
        if (o.clipGradNorm !== undefined) clipGradNorm(model.parameters(), o.clipGradNorm);
        let lossValue = out.loss.item();
        let hits = noGrad(() => out.logits.argmax(1).eq(y).sum().item());
        if (ddp) {
          // The global batch's mean loss and hit count (equal shards: mean of the ranks' means).
          const r = await reduceMetrics({ loss: lossValue / world, hits }, "sum", ddp.group);
          lossValue = r.loss;
          hits = r.hits;
        }
        if (!Number.isFinite(lossValue))
          throw new TorchError(
            `training diverged: the ${model.head.loss} loss is ${lossValue} at epoch ${epoch + 1}, step ${step + 1} (lr ${lr.toPrecision(3)}); ` +
              "try a smaller lr, warm-up epochs, clipGradNorm, or (A-Softmax) a larger lambdaMin",
            "ValueError",
          );
        opt.step();
        return { loss: lossValue, hits };
      });
      sched.step();
      lossSum += loss * batchSize;
      correct += hits;
      seen += batchSize;
      o.onStep?.({ epoch, step, loss, lr, batchSize });
      step++;
    }
    perm.dispose();
    const stats: EpochStats = {
      epoch: epoch + 1,
      loss: lossSum / seen,
      trainAccuracy: correct / seen,
      seconds: (performance.now() - t0) / 1000,
      lr: opt.paramGroups[0]?.lr ?? o.lr,
    };
    history.push(stats);
    await o.onEpoch?.(stats);
    model.train();
  }
  opt.dispose();
  return history;
}

/** Embeddings and margin-free logits for a set of images, in eval mode, batched. */
export function embedAll(model: FaceRecNet, images: Tensor, batchSize = 256): { embeddings: Tensor; logits: Tensor } {
  const n = images.shape[0] as number;
  model.eval();
  const embs: Tensor[] = [];
  const logits: Tensor[] = [];
  const out = tidy(() =>
    noGrad(() => {
      for (let s = 0; s < n; s += batchSize) {
        const x = toInput(images.narrow(0, s, Math.min(batchSize, n - s)));
        const e = model.call(x);
        embs.push(e);
        logits.push(model.logits(e));
      }
      return { embeddings: catRows(embs), logits: catRows(logits) };
    }),
  );
  model.train();
  return out;
}

function catRows(ts: Tensor[]): Tensor {
  return ts.length === 1 ? (ts[0] as Tensor) : cat(ts, 0);
}

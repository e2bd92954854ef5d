// Supervised training on a labelled subset, shared by the three evaluations of a SimCLR encoder:
//  - linear probe: a linear classifier on frozen features h (eval mode, computed once),
//  - fine-tune: the pretrained encoder plus a fresh head, everything trained (paper B.5),
//  - from scratch: the same network from random init on the same labelled subset (the baseline).
// Every epoch is reseeded from (seed, epoch), so the same call gives the same numbers. The failure
// guards of guards.ts run each epoch and stop the run with an explanation (seed §4.1's one-class model).
import { deriveSeed, Rng } from "../data/rng.js";
import { moduleDevice, toDevice } from "../torch/device.js";
import { F, fromTypedArray, keep, manualSeed, noGrad, type Tensor, tidy } from "../torch/index.js";
import { Linear, type Module } from "../torch/nn/index.js";
import { SGD } from "../torch/optim/sgd.js";
import { balancedBatches, epochBatches, labelTensor, take, toUnitFloat } from "./features.js";
import {
  assertFiniteGrads,
  assertFiniteLoss,
  assertLrPositive,
  assertParamsOptimized,
  balancedClassWeights,
  type ClassificationReport,
  classificationReport,
  collapseGuard,
  lossStuck,
  TrainingFailure,
} from "./guards.js";

export interface SupervisedOptions {
  epochs: number;
  /** at least this many optimisation steps (epochs are raised to reach it) */
  minSteps?: number;
  batchSize: number;
  /** peak LR (already scaled for the batch size); cosine decay per step, no warmup (paper B.5) */
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay: number;
  /**
   * LR multiplier of the trained parameters outside the head (the pretrained encoder when fine-tuning:
   * a lower LR keeps more of what pretraining learned); 1 (default) = one LR for all
   */
  backboneLrScale?: number;
  /** label smoothing of the cross entropy (0 = none) */
  labelSmoothing?: number;
  classWeights?: "none" | "balanced";
  balancedSampling?: boolean;
  /** stop with a TrainingFailure on one-class predictions / a loss stuck at ln C */
  guards?: boolean;
  seed: number;
  /** training-time augmentation of a float [0,1] batch (crop + flip for fine-tuning) */
  augment?: (x: Tensor, rng: Rng) => Tensor;
  evalBatchSize?: number;
  /**
   * validation passes during training, at most (default 20; the last epoch always): the result is the
   * last one, so fewer only thin the learning curve and the guards' view — and save time (each pass
   * scores the whole validation set)
   */
  validations?: number;
  /** called after each epoch with its record (for metrics.jsonl and progress) */
  onEpoch?: (r: SupervisedEpoch) => void;
  /** linear probe only: train this classifier in place (the online probe) instead of a fresh one */
  init?: Linear;
  /**
   * linear probe with `init` only: afterwards fold the feature standardisation into `init`'s weight
   * and bias (W/σ, b − (W/σ)·μ), so it classifies raw features — a fine-tuning head warm-started by a
   * probe (LP-FT, Kumar et al. 2022)
   */
  foldStandardization?: boolean;
}

export interface SupervisedEpoch {
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  val: ClassificationReport;
}

export interface SupervisedResult {
  history: SupervisedEpoch[];
  final: ClassificationReport;
  /** set when a guard stopped the run; `final` is then the last evaluation before stopping */
  failure?: { kind: string; message: string; epoch: number };
}

/** A network mapping a float batch to logits, with the parameters that must be trained. */
interface Classifier {
  module: Module;
  logits(x: Tensor): Tensor;
  /** parameters to optimise, by name */
  trainable: Map<string, Tensor>;
  /** parameters that must be in the optimiser (the fresh head) — checked by the guard */
  head: Map<string, Tensor>;
}

const cosineLr = (peak: number, step: number, total: number) => peak * 0.5 * (1 + Math.cos((Math.PI * step) / total));

/** Predictions of `logits` over a set, in eval mode, without gradients. */
function evaluate(
  c: Classifier,
  x: Tensor,
  y: Int32Array,
  numClasses: number,
  bs: number,
  prep: (t: Tensor) => Tensor,
) {
  const was = c.module.training;
  const device = moduleDevice(c.module);
  c.module.eval();
  try {
    return tidy(() =>
      noGrad(() => {
        const n = x.shape[0]!;
        const preds = new Int32Array(n);
        for (let s = 0; s < n; s += bs) {
          const p = tidy(() =>
            c
              .logits(prep(toDevice(x.narrow(0, s, Math.min(bs, n - s)), device)))
              .argmax(1)
              .toNumbers(),
          );
          preds.set(p, s);
        }
        return classificationReport(fromTypedArray(preds, [n]), fromTypedArray(y, [n]), numClasses);
      }),
    );
  } finally {
    c.module.train(was);
  }
}

/** The training loop shared by every supervised evaluation. `x` rows are inputs for `prep`. */
async function fit(
  c: Classifier,
  train: { x: Tensor; y: Int32Array },
  val: { x: Tensor; y: Int32Array },
  numClasses: number,
  o: SupervisedOptions,
  prep: (t: Tensor) => Tensor,
): Promise<SupervisedResult> {
  // One parameter group, or the head's and the rest's when the rest trains at a scaled LR.
  const bodyScale = o.backboneLrScale ?? 1;
  if (!(bodyScale > 0)) throw new RangeError(`backboneLrScale must be > 0, got ${bodyScale}`);
  const inHead = new Set(c.head.values());
  const body = [...c.trainable].filter(([, p]) => !inHead.has(p));
  const groups =
    bodyScale === 1 || body.length === 0
      ? [{ params: [...c.trainable], scale: 1 }]
      : [
          { params: [...c.trainable].filter(([, p]) => inHead.has(p)), scale: 1 },
          { params: body, scale: bodyScale },
        ];
  const opt = new SGD(
    groups.map((g) => ({ params: g.params })),
    {
      lr: o.lr,
      momentum: o.momentum ?? 0.9,
      nesterov: o.nesterov ?? true,
      weightDecay: o.weightDecay,
    },
  );
  // Batches, labels and class weights go to the model's device (a model trained on CUDA is evaluated there).
  const device = moduleDevice(c.module);
  const weight =
    o.classWeights === "balanced"
      ? keep(
          tidy(() =>
            toDevice(
              fromTypedArray(Float32Array.from(balancedClassWeights(train.y, numClasses)), [numClasses]),
              device,
            ),
          ),
        )
      : null;
  const history: SupervisedEpoch[] = [];
  const n = train.x.shape[0]!;
  const stepsPerEpoch = Math.ceil(n / o.batchSize);
  // Small labelled subsets give few steps per epoch: minSteps raises the epoch count so 1% of the labels
  // still gets enough updates (the paper fine-tunes 60 epochs at 1% vs 30 at 10%, B.5).
  const epochs = Math.max(o.epochs, Math.ceil((o.minSteps ?? 0) / stepsPerEpoch));
  const total = epochs * stepsPerEpoch;
  const validations = o.validations ?? 20;
  if (!(Number.isInteger(validations) && validations >= 1))
    throw new RangeError(`validations must be an integer ≥ 1, got ${validations}`);
  const evalEvery = Math.ceil(epochs / validations);
  const evalBs = o.evalBatchSize ?? 512;
  let collapsedEpochs = 0;
  let last: ClassificationReport | undefined;
  try {
    assertParamsOptimized(
      c.head,
      opt.paramGroups.flatMap((g) => g.params),
    );
    c.module.train();
    for (let epoch = 0; epoch < epochs; epoch++) {
      manualSeed(deriveSeed(o.seed, epoch));
      const rng = new Rng(deriveSeed(o.seed, epoch, 1));
      const batches = o.balancedSampling
        ? balancedBatches(train.y, o.batchSize, rng)
        : epochBatches(n, o.batchSize, rng, false);
      let lossSum = 0;
      let gradNorm = 0;
      let lr = 0;
      for (let b = 0; b < batches.length; b++) {
        const idx = batches[b]!;
        if (idx.length < 2 && batches.length > 1) continue; // a 1-sample batch breaks batch norm
        const step = epoch * stepsPerEpoch + b;
        lr = cosineLr(o.lr, step, total);
        if (b === 0) assertLrPositive(lr, `epoch ${epoch + 1}`);
        opt.paramGroups.forEach((g, i) => {
          g.lr = lr * groups[i]!.scale;
        });
        const loss = tidy(() => {
          let x = prep(toDevice(take(train.x, idx), device));
          if (o.augment) x = o.augment(x, rng);
          const logits = c.logits(x);
          const y = toDevice(labelTensor(Array.from(idx, (i) => train.y[i]!)), device);
          const l = F.crossEntropy(logits, y, { weight, labelSmoothing: o.labelSmoothing ?? 0 });
          opt.zeroGrad();
          l.backward();
          const v = l.item();
          assertFiniteLoss(v, `epoch ${epoch + 1} step ${b + 1}`);
          if (b === 0) gradNorm = assertFiniteGrads(c.trainable, `epoch ${epoch + 1}`);
          opt.step();
          return v;
        });
        lossSum += loss * idx.length;
      }
      await new Promise((r) => setImmediate(r)); // let signals (Ctrl-C) and timers through
      // Validate at most ~`validations` (20) times per run (every epoch for ≤ 20 epochs): many short epochs of a tiny
      // labelled subset would otherwise spend most of the time on validation.
      if ((epoch + 1) % evalEvery !== 0 && epoch + 1 !== epochs) continue;
      last = evaluate(c, val.x, val.y, numClasses, evalBs, prep);
      const rec: SupervisedEpoch = { epoch: epoch + 1, loss: lossSum / n, lr, gradNorm, val: last };
      history.push(rec);
      o.onEpoch?.(rec);
      if (o.guards ?? true) {
        const stuck = lossStuck(
          history.map((h) => h.loss),
          numClasses,
        );
        const collapse = collapseGuard(last);
        collapsedEpochs = collapse ? collapsedEpochs + 1 : 0;
        // One-class predictions while the training loss keeps falling are usually transient (batch-norm
        // running statistics still catching up after a few steps). Three such evaluations in a row over which
        // the loss has stopped improving (< 2%) is the seed's failure (§4.1): a constant loss, or one
        // that only learned the class prior.
        const plateau = history.length >= 4 && history.at(-1)!.loss >= 0.98 * history.at(-4)!.loss;
        if (stuck) throw new TrainingFailure("loss-stuck", stuck);
        if (collapse && collapsedEpochs >= 3 && plateau) throw new TrainingFailure("prediction-collapse", collapse);
      }
    }
  } catch (e) {
    if (!(e instanceof TrainingFailure)) throw e;
    const final = last ?? evaluate(c, val.x, val.y, numClasses, evalBs, prep);
    return { history, final, failure: { kind: e.kind, message: e.message, epoch: history.length } };
  } finally {
    opt.dispose();
    weight?.dispose();
  }
  return { history, final: last ?? evaluate(c, val.x, val.y, numClasses, evalBs, prep) };
}

/**
 * Trains a whole network (fine-tune or from scratch) on uint8 images. `model` maps [0,1] float
 * images to logits; `head` names the fresh classifier's parameters (checked to be in the optimiser).
 */
export async function trainNetwork(
  model: Module,
  head: Map<string, Tensor>,
  train: { images: Tensor; labels: Int32Array },
  val: { images: Tensor; labels: Int32Array },
  numClasses: number,
  o: SupervisedOptions,
): Promise<SupervisedResult> {
  const c: Classifier = {
    module: model,
    logits: (x) => model.call(x) as Tensor,
    trainable: new Map(model.namedParameters()),
    head,
  };
  return fit(c, { x: train.images, y: train.labels }, { x: val.images, y: val.labels }, numClasses, o, toUnitFloat);
}

/**
 * Linear probe on frozen features (computed once, in eval mode, by the caller). Features are
 * standardised with the training set's mean/std — a BN without affine parameters in front of the
 * linear layer, which the probe protocol needs to be insensitive to the feature scale (mmselfsup#11).
 */
export async function linearProbe(
  trainFeatures: Tensor,
  trainLabels: Int32Array,
  valFeatures: Tensor,
  valLabels: Int32Array,
  numClasses: number,
  o: SupervisedOptions,
): Promise<SupervisedResult> {
  // The probe runs where its classifier lives (a fine-tuning head on the model's device, LP-FT) or,
  // for a fresh one, where the features are; batches are moved there by fit.
  const device = o.init ? moduleDevice(o.init) : trainFeatures.device;
  const [mean, std] = tidy(() => {
    const m = trainFeatures.mean([0], true);
    const s = trainFeatures.std([0], { keepdim: true }).add(1e-6);
    return [keep(toDevice(m, device)), keep(toDevice(s, device))];
  });
  manualSeed(deriveSeed(o.seed, 1_000_003));
  const fc = o.init ?? new Linear(trainFeatures.shape[1]!, numClasses).to(device);
  try {
    const c: Classifier = {
      module: fc,
      logits: (x) => fc.call(x),
      trainable: new Map(fc.namedParameters()),
      head: new Map(fc.namedParameters()),
    };
    const std_ = (t: Tensor) => tidy(() => t.sub(mean).div(std));
    const result = await fit(
      c,
      { x: trainFeatures, y: trainLabels },
      { x: valFeatures, y: valLabels },
      numClasses,
      { ...o, augment: undefined },
      std_,
    );
    if (fc === o.init && o.foldStandardization)
      noGrad(() =>
        tidy(() => {
          const w = fc.weight.div(std);
          fc.bias?.sub_(w.matmul(mean.reshape([-1])));
          fc.weight.copy_(w);
        }),
      );
    return result;
  } finally {
    if (fc !== o.init) fc.dispose();
    mean.dispose();
    std.dispose();
  }
}

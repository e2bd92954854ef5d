// The SimCLR study configuration: one schema for pretraining, the online monitors, and the evaluation
// suite (linear probe, fine-tune, supervised from scratch). Recipes in configs/simclr-*.yaml fill it;
// every field has a default so a recipe names only what it changes. Defaults cite
// reference/simclr.md (§ numbers) where they come from a paper or a reference implementation.
import { z } from "zod";
import { LOSS_DEFAULTS } from "../losses/defaults.js";
import { computeFields } from "./compute.js";

const fraction = z.number().gt(0).lte(1);
/** a [low, high] range with low ≤ high */
const range = (item: z.ZodNumber) =>
  z.tuple([item, item]).refine(([lo, hi]) => lo <= hi, "a range [low, high] needs low ≤ high");

export const AugmentSchema = z.object({
  /** RandomResizedCrop area range; SimCLR App. A uses (0.08, 1) */
  cropScale: range(fraction).default([0.08, 1]),
  /** RandomResizedCrop aspect-ratio range (w/h); Inception's (3/4, 4/3), paper App. A */
  cropRatio: range(z.number().gt(0)).default([3 / 4, 4 / 3]),
  /** horizontal flip probability */
  flipProb: z.number().min(0).max(1).default(0.5),
  /** colour jitter strength s → (0.8s, 0.8s, 0.8s, 0.2s); 0.5 for 32 px images (§3, paper B.9) */
  jitterStrength: z.number().min(0).max(2).default(0.5),
  jitterProb: z.number().min(0).max(1).default(0.8),
  /**
   * torchvision ColorJitter's own arguments, replacing jitterStrength's (0.8s, 0.8s, 0.8s, 0.2s) when
   * given: e.g. hue 0 and a low saturation keep skin tone, the race cue SimCLR must not be taught to ignore
   */
  jitter: z
    .object({
      brightness: z.number().min(0).max(1),
      contrast: z.number().min(0).max(1),
      saturation: z.number().min(0).max(1),
      hue: z.number().min(0).max(0.5),
    })
    .optional(),
  grayscaleProb: z.number().min(0).max(1).default(0.2),
  /** Gaussian blur probability; off for 32 px images (§3), 0.5 for larger face crops */
  blurProb: z.number().min(0).max(1).default(0),
});
export type AugmentConfig = z.infer<typeof AugmentSchema>;

export const DataSchema = z.object({
  /** which reader builds the unlabeled pool and the labelled sets */
  dataset: z.enum(["fashion-mnist", "cifar10", "faces", "synthetic-faces"]),
  /** dataset folder (Fashion-MNIST IDX files, CIFAR-10 binary batches) */
  root: z.string().optional(),
  /** face folders for the unlabeled pool; any subset may be given. UTKFace also provides the labels. */
  utkface: z.string().optional(),
  ffhq: z.string().optional(),
  celeba: z.string().optional(),
  /** side of the square images fed to the encoder */
  imageSize: z.number().int().min(8).default(32),
  /** at most this many images in the unlabeled pretraining pool (0 = all) */
  pretrainLimit: z.number().int().min(0).default(0),
  /** at most this many images in the labelled training pool, drawn stratified (0 = all) */
  labelledLimit: z.number().int().min(0).default(0),
  /** at most this many validation images (0 = all) */
  evalLimit: z.number().int().min(0).default(0),
  /** synthetic-faces: images to generate */
  syntheticCount: z.number().int().min(16).default(2000),
});

export const ModelSchema = z.object({
  arch: z.enum(["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]).default("resnet18"),
  /** channels of the first stage (64 in torchvision); smaller is a narrower, faster network */
  width: z.number().int().min(4).default(64),
  /** 3×3 stride-1 stem without max-pool, the right stem for ≤ 32 px images (§1.1, §4 theme 1) */
  cifarStem: z.boolean().default(true),
  /** residual blocks per stage, replacing the arch's own ([1,1,1,1]: issue #15's 0.31 M-parameter CPU net) */
  layers: z
    .tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)])
    .optional(),
});

export const HeadSchema = z.object({
  /** SimCLRv2 default 3 (google tf2/run.py num_proj_layers), v1 used 2 */
  layers: z.number().int().min(1).max(4).default(3),
  /** hidden width; 0 = the encoder's feature width (google ProjectionHead) */
  hidden: z.number().int().min(0).default(0),
  /** output width 128 (google proj_out_dim) */
  out: z.number().int().min(2).default(128),
});

export const MonitorSchema = z.object({
  /** kNN accuracy every `every` epochs (k=200, τ=0.1 cosine weighted, lightly's monitor, §6) */
  knn: z.boolean().default(true),
  knnK: z.number().int().min(1).default(200),
  knnTemperature: z.number().gt(0).default(0.1),
  every: z.number().int().min(1).default(1),
  /** labelled images used as the kNN memory bank / online probe training set */
  bankSize: z.number().int().min(10).default(2000),
  /** validation images the kNN and online probe are scored on */
  querySize: z.number().int().min(10).default(1000),
  /** detached linear classifier trained alongside on stop-gradient features (google lineareval_while_pretraining) */
  onlineProbe: z.boolean().default(true),
});

export const PretrainSchema = z.object({
  /** the self-supervised method by name (src/methods/registry.ts): simclr (NT-Xent) or byol (EMA target, no negatives) */
  method: z.enum(["simclr", "byol"]).default("simclr"),
  /** BYOL only: τ_base of the EMA target (paper 0.996 for 1000 epochs; 0.99 for short runs, solo-learn) and the predictor's hidden width (0 = the projector's) */
  byol: z
    .strictObject({ tau: z.number().min(0).lt(1).default(0.99), predictorHidden: z.number().int().min(0).default(0) })
    .prefault({}),
  epochs: z.number().int().min(0).default(100),
  batchSize: z.number().int().min(2).default(256),
  optimizer: z.enum(["lars", "sgd", "adamw"]).default("lars"),
  /** base LR, scaled by lrScaling with the batch size: linear lr·B/256, sqrt lr·√B (google tf2/run.py) */
  lr: z.number().gt(0).default(0.3),
  lrScaling: z.enum(["linear", "sqrt", "none"]).default("sqrt"),
  weightDecay: z.number().min(0).default(1e-6),
  momentum: z.number().min(0).max(1).default(0.9),
  /** LARS trust coefficient (google lars_optimizer.py eeta) */
  eta: z.number().gt(0).default(0.001),
  warmupEpochs: z.number().min(0).default(10),
  /** NT-Xent temperature (SimCLR only; default LOSS_DEFAULTS.ntxent.temperature = 0.2 for short runs, 0.5 for long ones, §6) */
  temperature: z.number().gt(0).default(LOSS_DEFAULTS.ntxent.temperature),
  augment: AugmentSchema.prefault({}),
  /** save a checkpoint every N epochs (and always at the end) */
  checkpointEvery: z.number().int().min(1).default(10),
  /** also run the evaluation suite after these epochs (the seed fine-tuned at 50 and 100) */
  evalAt: z.array(z.number().int().min(1)).default([]),
  monitor: MonitorSchema.prefault({}),
  /**
   * Under `facelab launch`: BatchNorm statistics over the whole global batch (SyncBatchNorm), so
   * N workers train exactly like one process with the same batch. No effect in one process.
   */
  syncBatchNorm: z.boolean().default(false),
});

export const LinearProbeSchema = z.object({
  enabled: z.boolean().default(true),
  epochs: z.number().int().min(1).default(30),
  batchSize: z.number().int().min(2).default(256),
  /** base LR per 256 images (paper B.6: 0.1·B/256), SGD Nesterov */
  lr: z.number().gt(0).default(0.1),
  weightDecay: z.number().min(0).default(0),
  /** also probe a randomly initialised encoder of the same shape, the baseline SimCLR must beat */
  randomInitBaseline: z.boolean().default(true),
});

export const LogisticProbeSchema = z.object({
  /**
   * the SimCLR papers' linear evaluation on all labels (issue #15): L-BFGS logistic regression on frozen,
   * standardised features, L2 chosen on a held-out part of the training labels (src/methods/logistic.ts)
   */
  enabled: z.boolean().default(false),
  /** λ candidates (mean cross-entropy + λ/2·‖W‖²); default 10^-1 … 10^-8 in decades (logistic.ts DEFAULT_L2_GRID) */
  l2Grid: z.array(z.number().gt(0)).min(1).optional(),
  /** fraction of the training labels held out to choose λ */
  heldOut: z.number().gt(0).lt(1).default(0.1),
  maxIter: z.number().int().min(1).default(100),
  /**
   * 0 = probe h; 1 = probe the output of the projection head's first block (Linear → BN → ReLU, frozen,
   * SimCLRv2's fine-tuning layer); the random-init baseline then gets a fresh block of that shape
   */
  fromProjectionLayer: z.union([z.literal(0), z.literal(1)]).default(0),
  /** also probe a randomly initialised encoder of the same shape */
  randomInitBaseline: z.boolean().default(true),
});

export const KnnEvalSchema = z.object({
  /**
   * weighted kNN on frozen features with ALL training labels (InstDisc/solo-learn's kNN evaluation: cosine
   * similarity, votes weighted by exp(sim/τ)): the whole labelled pool is the bank, every validation image
   * a query — unlike the pretraining monitor, which uses a subset (pretrain.monitor.bankSize)
   */
  enabled: z.boolean().default(false),
  k: z.number().int().min(1).default(200),
  temperature: z.number().gt(0).default(0.1),
  /**
   * k candidates: when given, k is chosen per encoder on a held-out part of the training bank (never on
   * the test set) and replaces `k` (src/methods/evaluate-knn.ts); ties go to the earlier entry
   */
  kGrid: z.array(z.number().int().min(1)).min(1).optional(),
  /** τ candidates, chosen with kGrid's k on the same held-out part (default: `temperature` only) */
  temperatureGrid: z.array(z.number().gt(0)).min(1).optional(),
  /** fraction of the training bank held out (class-stratified) to choose k and τ */
  heldOut: z.number().gt(0).lt(1).default(0.1),
  /** also for a randomly initialised encoder of the same shape */
  randomInitBaseline: z.boolean().default(true),
});

export const FinetuneSchema = z.object({
  enabled: z.boolean().default(true),
  epochs: z.number().int().min(1).default(30),
  /** at least this many steps: small fractions get more epochs (paper B.5: 60 epochs at 1%, 30 at 10%) */
  minSteps: z.number().int().min(0).default(0),
  batchSize: z.number().int().min(2).default(128),
  /** base LR per 256 images (paper B.5: 0.05·B/256, Nesterov, no weight decay, no warmup) */
  lr: z.number().gt(0).default(0.05),
  weightDecay: z.number().min(0).default(0),
  /**
   * LR of the pretrained encoder (and projection block) relative to the fresh head's; 1 = one LR.
   * The scratch baseline has no pretrained part: leave it at 1 there.
   */
  backboneLrScale: z.number().gt(0).max(1).default(1),
  /** label smoothing of the training cross entropy (Szegedy et al. 2016; 0 = none) */
  labelSmoothing: z.number().min(0).lt(1).default(0),
  /**
   * 0 = fresh head on the encoder output h; 1 = keep the first projection layer (SimCLRv2 ft_proj_selector=1).
   * For the scratch baseline, 1 adds a randomly initialised block of that shape (the same network)
   */
  fromProjectionLayer: z.union([z.literal(0), z.literal(1)]).default(0),
  /**
   * the fresh head's start: "random", or "probe" — first a linear probe on the frozen (pretrained)
   * features with evaluate.linearProbe's settings, then fine-tune everything from it (LP-FT, Kumar et al.
   * 2022: a random head's early gradients distort pretrained features). Only for the pretrained network.
   */
  headInit: z.enum(["random", "probe"]).default("random"),
  /** inverse-frequency class weights in the cross entropy */
  classWeights: z.enum(["none", "balanced"]).default("none"),
  /** draw minibatches class-balanced */
  balancedSampling: z.boolean().default(false),
  /** crop + flip during fine-tuning (paper B.5); crop area range */
  cropScale: range(fraction).default([0.5, 1]),
  /** stop and explain on one-class predictions or a loss stuck at ln C */
  guards: z.boolean().default(true),
  /**
   * validation passes during training, at most (the last epoch always): the row is the last one, so fewer
   * save time — on Fashion-MNIST each pass scores 10,000 test images — at the cost of the learning curve
   * and of the guards, which need ≥ 4 passes to call a plateau
   */
  validations: z.number().int().min(1).default(20),
});

export const ScratchSchema = FinetuneSchema.extend({
  /** supervised from scratch trains everything from random init; give it its own LR/weight decay */
  lr: z.number().gt(0).default(0.1),
  weightDecay: z.number().min(0).default(5e-4),
});

export const EvaluateSchema = z.object({
  /** labelled tasks: "label" for Fashion-MNIST/CIFAR-10, "gender" and/or "race" for faces */
  tasks: z.array(z.string()).default(["label"]),
  /** fractions of the labelled training pool to fine-tune on, drawn class-balanced and stratified */
  labelFractions: z.array(fraction).default([0.01, 0.1]),
  /**
   * Repeat every evaluation this many times, each with its own labelled subset, head initialisation
   * and random-init encoder; the summary reports the mean with a 95% Student-t interval and the paired
   * SimCLR − baseline gain with its interval (the pretrained encoder is the same in every repeat).
   */
  repeats: z.number().int().min(1).max(100).default(1),
  /**
   * faces: the labelled dataset is split into a training part of this fraction and a validation part
   * of the rest (the seed fine-tuned on 30% of UTKFace and validated on 70%)
   */
  trainSplit: fraction.default(0.3),
  linearProbe: LinearProbeSchema.prefault({}),
  logisticProbe: LogisticProbeSchema.prefault({}),
  knn: KnnEvalSchema.prefault({}),
  finetune: FinetuneSchema.prefault({}),
  scratch: ScratchSchema.prefault({}),
});

export const SimclrConfigSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, "run names use letters, digits, . _ -"),
  seed: z.number().int().min(0).default(0),
  ...computeFields,
  data: DataSchema,
  model: ModelSchema.prefault({}),
  head: HeadSchema.prefault({}),
  pretrain: PretrainSchema.prefault({}),
  evaluate: EvaluateSchema.prefault({}),
});
export type SimclrConfig = z.infer<typeof SimclrConfigSchema>;
export type PretrainConfig = SimclrConfig["pretrain"];
export type EvaluateConfig = SimclrConfig["evaluate"];
export type FinetuneConfig = z.infer<typeof FinetuneSchema>;
export type LinearProbeConfig = z.infer<typeof LinearProbeSchema>;

/** The LR after batch-size scaling (google tf2/run.py learning_rate_scaling). */
export function scaledLr(base: number, batchSize: number, scaling: "linear" | "sqrt" | "none"): number {
  if (scaling === "linear") return (base * batchSize) / 256;
  if (scaling === "sqrt") return base * Math.sqrt(batchSize);
  return base;
}

// Classification heads that own their parameters: each maps (features, labels) to the training
// loss plus the evaluation logits (no margin), and maps features alone to those logits for
// inference (e.g. max-softmax on people never seen in training).
import { empty, nn, noGrad, type Tensor, TorchError, tensor } from "../torch/index.js";
import type { LossOutput } from "./common.js";
import { cosineLogits } from "./common.js";
import {
  type ArcFaceOptions,
  arcFaceLoss,
  type CosFaceOptions,
  cosFaceLoss,
  MARGIN_SCALE,
  type SoftmaxOptions,
  softmaxLoss,
} from "./margins.js";
import { meanFeatureNorm, type RingLossOptions, ringLoss } from "./ring.js";
import {
  SPHEREFACE_R_SCALE,
  type SphereFaceLambdaSchedule,
  type SphereFaceROptions,
  sphereFaceLambda,
  sphereFaceLoss,
  sphereFaceRLoss,
} from "./sphereface.js";

export interface HeadFactoryOptions {
  dtype?: "float32" | "float64";
  device?: nn.FactoryOptions["device"];
}

function checkSizes(head: string, inFeatures: number, numClasses: number): void {
  for (const [name, v] of [
    ["inFeatures", inFeatures],
    ["numClasses", numClasses],
  ] as const)
    if (!(Number.isInteger(v) && v > 0))
      throw new TorchError(`${head}: ${name} must be a positive integer, got ${v}`, "ValueError");
}

/** A head: forward(features, labels) → { loss, logits }; logits(features) for inference. */
export abstract class ClassifierHead extends nn.Module<[Tensor, Tensor], LossOutput> {
  readonly weight: Tensor;
  constructor(
    readonly inFeatures: number,
    readonly numClasses: number,
    o: HeadFactoryOptions,
  ) {
    super();
    checkSizes(this.constructor.name, inFeatures, numClasses);
    // Class weights (C,D), as in nn.Linear. Margin heads normalise the rows, so only directions matter.
    this.weight = this.registerParameter("weight", empty([numClasses, inFeatures], o));
    nn.init.xavierNormal_(this.weight);
  }
  /** Evaluation logits without the margin. */
  abstract logits(features: Tensor): Tensor;
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, num_classes=${this.numClasses}`;
  }
}

/** Plain linear classifier + softmax cross-entropy (PyTorch nn.Linear initialisation). */
export class SoftmaxHead extends ClassifierHead {
  readonly bias: Tensor | null;
  constructor(
    inFeatures: number,
    numClasses: number,
    readonly options: HeadFactoryOptions & SoftmaxOptions & { bias?: boolean } = {},
  ) {
    super(inFeatures, numClasses, options);
    const o = options;
    this.bias = this.registerParameter("bias", (o.bias ?? true) ? empty([numClasses], o) : null);
    nn.init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) nn.init.uniform_(this.bias, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures));
  }
  forward(features: Tensor, labels: Tensor): LossOutput {
    return softmaxLoss(features, this.weight, this.bias, labels, this.options);
  }
  logits(features: Tensor): Tensor {
    return nn.functional.linear(features, this.weight, this.bias);
  }
}

/**
 * Ring loss as a module: a learnable radius R. Left unset, R starts at the first batch's mean
 * feature norm (the official code's −1 sentinel), else at the value given (gluon-face: 10).
 */
export class RingLoss extends nn.Module<[Tensor], Tensor> {
  readonly radius: Tensor;
  constructor(
    readonly options: RingLossOptions & { radius?: number } = {},
    o: HeadFactoryOptions = {},
  ) {
    super();
    const r = options.radius;
    if (r !== undefined && !(r > 0)) throw new TorchError(`RingLoss: radius must be > 0, got ${r}`, "ValueError");
    this.radius = this.registerParameter("radius", nn.init.constant_(empty([1], o), r ?? -1));
  }
  forward(features: Tensor): Tensor {
    if (this.radius.item() < 0) {
      const r = meanFeatureNorm(features);
      noGrad(() => this.radius.fill_(r).dispose());
    }
    return ringLoss(features, this.radius, this.options);
  }
  override extraRepr(): string {
    return `type=${this.options.type ?? "l2"}, weight=${this.options.weight ?? (this.options.type === "ratio" ? 1 : 0.01)}`;
  }
}

/** Softmax cross-entropy + Ring loss on the features (Zheng et al. 2018): loss = L_SM + L_R. */
export class RingSoftmaxHead extends SoftmaxHead {
  readonly ring: RingLoss;
  constructor(
    inFeatures: number,
    numClasses: number,
    o: HeadFactoryOptions & SoftmaxOptions & { bias?: boolean; ring?: RingLossOptions & { radius?: number } } = {},
  ) {
    super(inFeatures, numClasses, o);
    this.ring = this.registerModule("ring", new RingLoss(o.ring ?? {}, o));
  }
  override forward(features: Tensor, labels: Tensor): LossOutput {
    const out = super.forward(features, labels);
    return { loss: out.loss.add(this.ring.call(features)), logits: out.logits };
  }
}

/**
 * Original A-Softmax with the λ annealing schedule. Each training-mode forward uses
 * λ = sphereFaceLambda(iteration) and then advances the iteration (a buffer, so it is saved and
 * resumed with the checkpoint); eval-mode forwards do not advance it.
 */
export class SphereFaceHead extends ClassifierHead {
  readonly iteration: Tensor;
  constructor(
    inFeatures: number,
    numClasses: number,
    readonly options: HeadFactoryOptions & { m?: number; schedule?: Partial<SphereFaceLambdaSchedule> } = {},
  ) {
    super(inFeatures, numClasses, options);
    this.iteration = this.registerBuffer("iteration", tensor(0, { dtype: "int64", device: options.device }));
  }
  /** λ the next training forward will use. */
  get lambda(): number {
    return sphereFaceLambda(this.iteration.item(), this.options.schedule);
  }
  forward(features: Tensor, labels: Tensor): LossOutput {
    const out = sphereFaceLoss(features, this.weight, labels, { m: this.options.m, lambda: this.lambda });
    if (this.training) noGrad(() => this.iteration.add_(1).dispose());
    return out;
  }
  logits(features: Tensor): Tensor {
    return cosineLogits(features, this.weight).mul(features.norm(2, 1, true));
  }
}

/**
 * A head on normalised features and weights whose evaluation logits are s·cos θ: the margin loss
 * applies its margin to the target logit and scales by s, and logits() uses the same s (the
 * loss's default when options.scale is unset), so training and evaluation logits share a scale.
 */
export abstract class ScaledCosineHead<O extends { scale?: number }> extends ClassifierHead {
  /** The margin loss, called with this head's options. */
  protected abstract readonly marginLoss: (features: Tensor, weight: Tensor, labels: Tensor, o: O) => LossOutput;
  /** s when options.scale is unset: the margin loss's own default. */
  protected abstract readonly defaultScale: number;
  constructor(
    inFeatures: number,
    numClasses: number,
    readonly options: HeadFactoryOptions & O = {} as HeadFactoryOptions & O,
  ) {
    super(inFeatures, numClasses, options);
  }
  forward(features: Tensor, labels: Tensor): LossOutput {
    return this.marginLoss(features, this.weight, labels, this.options);
  }
  logits(features: Tensor): Tensor {
    return cosineLogits(features, this.weight).mul(this.options.scale ?? this.defaultScale);
  }
}

/** opensphere's SphereFace (s·cos with a detached multiplicative margin; no annealing). */
export class SphereFaceRHead extends ScaledCosineHead<SphereFaceROptions> {
  protected readonly marginLoss = sphereFaceRLoss;
  protected readonly defaultScale = SPHEREFACE_R_SCALE;
}

/** CosFace / AM-Softmax: target logit s·(cos θ − m). */
export class CosFaceHead extends ScaledCosineHead<CosFaceOptions> {
  protected readonly marginLoss = cosFaceLoss;
  protected readonly defaultScale = MARGIN_SCALE;
}

/** ArcFace: target logit s·cos(θ + m). */
export class ArcFaceHead extends ScaledCosineHead<ArcFaceOptions> {
  protected readonly marginLoss = arcFaceLoss;
  protected readonly defaultScale = MARGIN_SCALE;
}

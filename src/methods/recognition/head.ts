// The margin head: owns the class weights (and Ring loss's radius) and turns embeddings into the
// training loss and the evaluation logits of any loss by name. The loss maths lives in src/losses;
// this module only holds parameters and state (the A-Softmax λ schedule's iteration counter).
import {
  arcFaceLoss,
  cosFaceLoss,
  cosineLogits,
  type LossOutput,
  ringLoss,
  SPHEREFACE_LAMBDA_DEFAULTS,
  softmaxLoss,
  sphereFaceLambda,
  sphereFaceLoss,
  sphereFaceRLoss,
} from "../../losses/index.js";
import { empty, F, full, nn, noGrad, type Tensor, TorchError, tidy } from "../../torch/index.js";

/** Loss names `facelab train --loss` and the bias study accept (aliases map to the same head). */
export const LOSS_NAMES = [
  "softmax",
  "ring",
  "sphereface",
  "asoftmax",
  "sphereface-r",
  "opensphere",
  "cosface",
  "arcface",
] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export interface HeadOptions {
  /** Ring loss: weight λ (paper/gluon-face 0.01 for the L2 form) and form. */
  ringWeight?: number;
  ringType?: "l2" | "ratio";
  /** Ring loss: initial R; absent = the first batch's mean feature norm (official code). */
  radius?: number;
  /** A-Softmax margin m (paper: 4) and λ schedule (Caffe defaults: 1000, 0.12, 1, 5). */
  m?: number;
  lambdaBase?: number;
  lambdaGamma?: number;
  lambdaPower?: number;
  lambdaMin?: number;
  /** Scale s for the normalised heads (opensphere SphereFace 30, CosFace/ArcFace 64). */
  scale?: number;
}

export function checkLossName(name: string): LossName {
  if (!(LOSS_NAMES as readonly string[]).includes(name))
    throw new Error(`unknown loss "${name}": expected one of ${LOSS_NAMES.join(", ")}`);
  return name as LossName;
}

const HEAD_OPTION_KEYS = new Set([
  "ringWeight",
  "ringType",
  "radius",
  "m",
  "lambdaBase",
  "lambdaGamma",
  "lambdaPower",
  "lambdaMin",
  "scale",
]);

/** Checks a loss's parameters from a config (unknown keys are errors that name the key). */
export function headOptions(loss: string, params: Record<string, unknown>): HeadOptions {
  for (const [k, v] of Object.entries(params)) {
    if (!HEAD_OPTION_KEYS.has(k))
      throw new Error(`loss "${loss}": unknown parameter "${k}" (known: ${[...HEAD_OPTION_KEYS].join(", ")})`);
    if (k === "ringType" ? v !== "l2" && v !== "ratio" : typeof v !== "number")
      throw new Error(`loss "${loss}": parameter "${k}" has a wrong value ${JSON.stringify(v)}`);
  }
  return params as HeadOptions;
}

export class MarginHead extends nn.Module<[Tensor, Tensor], LossOutput> {
  readonly loss: LossName;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly radius: Tensor | null;
  /** Training iterations seen (drives A-Softmax's λ annealing). */
  iteration = 0;
  #radiusSet: boolean;

  constructor(
    loss: string,
    readonly embeddingDim: number,
    readonly numClasses: number,
    readonly o: HeadOptions = {},
  ) {
    super();
    this.loss = checkLossName(loss);
    if (!(Number.isInteger(numClasses) && numClasses >= 2))
      throw new TorchError(`MarginHead: numClasses must be an integer ≥ 2, got ${numClasses}`, "ValueError");
    // Same initialisation as nn.Linear (kaiming-uniform with a=√5 ⇒ U(±1/√fan_in)).
    const bound = 1 / Math.sqrt(embeddingDim);
    const uniform = (shape: number[]) => {
      const t = empty(shape);
      t.uniform_(-bound, bound).dispose(); // in-place ops return an alias handle: drop it
      return t;
    };
    this.weight = this.registerParameter("weight", uniform([numClasses, embeddingDim]));
    const linear = this.loss === "softmax" || this.loss === "ring";
    this.bias = this.registerParameter("bias", linear ? uniform([numClasses]) : null);
    this.radius = this.registerParameter("radius", this.loss === "ring" ? full([1], o.radius ?? 1) : null);
    this.#radiusSet = o.radius !== undefined;
  }

  /** λ of the A-Softmax schedule at the current iteration. */
  lambda(): number {
    const d = SPHEREFACE_LAMBDA_DEFAULTS;
    // (cast: the defaults object is `as const`, so its literal types would reject other numbers)
    const o = {
      base: this.o.lambdaBase ?? d.base,
      gamma: this.o.lambdaGamma ?? d.gamma,
      power: this.o.lambdaPower ?? d.power,
      lambdaMin: this.o.lambdaMin ?? d.lambdaMin,
    } as unknown as Partial<typeof d>;
    return sphereFaceLambda(this.iteration, o);
  }

  /** Training loss and margin-free logits; in training mode advances the iteration counter. */
  forward(features: Tensor, labels: Tensor): LossOutput {
    const out = this.#lossOf(features, labels);
    if (this.training) this.iteration++;
    return out;
  }

  #lossOf(x: Tensor, y: Tensor): LossOutput {
    const o = this.o;
    switch (this.loss) {
      case "softmax":
        return softmaxLoss(x, this.weight, this.bias, y);
      case "ring": {
        const radius = this.radius as Tensor;
        if (!this.#radiusSet && this.training) {
          // Official Ring-loss code: R starts at the first batch's mean feature norm.
          const r = tidy(() => noGrad(() => x.detach().norm(2, 1).mean().item()));
          noGrad(() => radius.fill_(r)).dispose();
          this.#radiusSet = true;
        }
        const base = softmaxLoss(x, this.weight, this.bias, y);
        const penalty = ringLoss(x, radius, { weight: o.ringWeight, type: o.ringType });
        return { loss: base.loss.add(penalty), logits: base.logits };
      }
      case "sphereface":
      case "asoftmax":
        return sphereFaceLoss(x, this.weight, y, { m: o.m ?? 4, lambda: this.lambda() });
      case "sphereface-r":
      case "opensphere":
        return sphereFaceRLoss(x, this.weight, y, { scale: o.scale, m: o.m });
      case "cosface":
        return cosFaceLoss(x, this.weight, y, { scale: o.scale, m: o.m });
      case "arcface":
        return arcFaceLoss(x, this.weight, y, { scale: o.scale, m: o.m });
    }
  }

  /** Evaluation logits without any margin (what softmax confidence and accuracy are computed on). */
  logits(x: Tensor): Tensor {
    switch (this.loss) {
      case "softmax":
      case "ring":
        return F.linear(x, this.weight, this.bias);
      case "sphereface":
      case "asoftmax":
        // Original A-Softmax: features not normalised, logit = ‖x‖·cos θ.
        return cosineLogits(x, this.weight).mul(x.norm(2, 1, true));
      case "sphereface-r":
      case "opensphere":
        return cosineLogits(x, this.weight).mul(this.o.scale ?? 30);
      case "cosface":
      case "arcface":
        return cosineLogits(x, this.weight).mul(this.o.scale ?? 64);
    }
  }
}

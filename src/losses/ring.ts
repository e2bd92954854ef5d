// Ring loss (Zheng, Pal, Savvides, CVPR 2018, arXiv 1803.00130): a soft feature-norm constraint
// added to softmax cross-entropy, pulling every ‖f(x)‖ toward a learned radius R.
import { noGrad, type Tensor, TorchError, tidy } from "../torch/index.js";
import { LOSS_DEFAULTS } from "./defaults.js";

export type RingLossType = "l2" | "ratio";

export interface RingLossOptions {
  /** Weight λ (paper/gluon-face: 0.01 for "l2"; official code: 1.0 for "ratio"). */
  weight?: number;
  /**
   * "l2": the paper's L_R = λ/(2m)·Σ_i (‖f_i‖ − R)² (m = batch size). Note the official code's L2
   * branch is λ·mean((‖f‖−R)²), without the 1/2: λ_code = λ_paper / 2.
   * "ratio" (official code's 'auto'): λ·mean(((‖f‖ − R)/max(mean‖f‖, 0.5))²), with the mean norm
   * detached, so the penalty does not scale with the feature norm itself.
   */
  type?: RingLossType;
}

/** The ring penalty alone (add it to the softmax loss). radius is a scalar or 1-element tensor. */
export function ringLoss(features: Tensor, radius: Tensor, o: RingLossOptions = {}): Tensor {
  const type = o.type ?? LOSS_DEFAULTS.ring.type;
  if (type !== "l2" && type !== "ratio")
    throw new TorchError(`ringLoss: type must be "l2" or "ratio", got ${JSON.stringify(type)}`, "ValueError");
  const lambda = o.weight ?? LOSS_DEFAULTS.ring.weight[type];
  if (features.ndim !== 2)
    throw new TorchError(`ringLoss: features must be 2-D (N,D), got shape [${features.shape.join(",")}]`, "ValueError");
  if (radius.numel !== 1)
    throw new TorchError(`ringLoss: radius must hold one value, got shape [${radius.shape.join(",")}]`, "ValueError");
  if (!(lambda >= 0)) throw new TorchError(`ringLoss: weight must be ≥ 0, got ${lambda}`, "ValueError");
  const norms = features.norm(2, 1);
  const diff = norms.sub(radius.reshape([]));
  if (type === "l2")
    return diff
      .square()
      .mean()
      .mul(lambda / 2);
  if (type === "ratio") {
    const scale = noGrad(() => norms.detach().mean().clamp(0.5));
    return diff.div(scale).square().mean().mul(lambda);
  }
  throw new TorchError(`ringLoss: type must be "l2" or "ratio", got ${JSON.stringify(type)}`, "ValueError");
}

/** The mean feature norm of a batch: the official code's initial radius (first batch). */
export function meanFeatureNorm(features: Tensor): number {
  return tidy(() => noGrad(() => features.norm(2, 1).mean().item()));
}

// A-Softmax (SphereFace, Liu et al. CVPR 2017): the original m=4 recipe with λ annealing, and the
// modern opensphere variant (SphereFace Revived) with feature normalisation and gradient detachment.
// Sources are cited in ../../shared/reference/face-losses-and-bias.md §1.1–1.3.
import { F, noGrad, type Tensor, TorchError, where } from "../torch/index.js";
import { checkHeadInputs, checkPositive, cosineLogits, type LossOutput, targetMask } from "./common.js";
import { LOSS_DEFAULTS } from "./defaults.js";

/**
 * cos(mθ) as the Chebyshev polynomial T_m(cos θ) (T0=1, T1=c, T_{n+1}=2c·T_n−T_{n−1}; m=4 gives
 * 8c⁴−8c²+1 as in the Caffe layer's QUADRUPLE type). A polynomial in c has a finite gradient
 * everywhere, unlike a path through acos.
 */
export function chebyshevCos(cos: Tensor, m: number): Tensor {
  if (!(Number.isInteger(m) && m >= 0))
    throw new TorchError(`chebyshevCos: m must be a non-negative integer, got ${m}`, "ValueError");
  if (m === 0) return cos.mul(0).add(1);
  let prev = cos.mul(0).add(1);
  let cur = cos.mul(1);
  for (let n = 1; n < m; n++) {
    const next = cos.mul(cur).mul(2).sub(prev);
    prev = cur;
    cur = next;
  }
  return cur;
}

/**
 * The interval index k = floor(mθ/π) ∈ {0..m−1} of θ = acos(cos) (clcarwin net_sphere.py), as a
 * constant: ψ is piecewise in θ and k only selects the piece. acos sees a clamped value and no
 * gradient, so θ = 0 or π cannot produce NaN; θ = π is put in the last interval.
 */
export function angleInterval(cos: Tensor, m: number): Tensor {
  return noGrad(() => {
    const theta = cos.detach().clamp(-1, 1).acos();
    return theta
      .mul(m / Math.PI)
      .floor()
      .clamp(0, m - 1);
  });
}

/**
 * ψ(θ) = (−1)^k·cos(mθ) − 2k for θ ∈ [kπ/m, (k+1)π/m]: monotonically decreasing on [0, π] and
 * equal to cos(mθ) on the first interval (SphereFace eq. 6). Computed from cos θ, differentiable.
 */
export function aSoftmaxPsi(cos: Tensor, m = 4): Tensor {
  const k = angleInterval(cos, m);
  const sign = noGrad(() => k.remainder(2).mul(-2).add(1)); // (−1)^k
  return chebyshevCos(cos, m).mul(sign).sub(k.mul(2));
}

/** The Caffe defaults of the λ schedule (LOSS_DEFAULTS.sphereface.lambda; wy1iu/sphereface prototxt, also face.evoLVe). */
export const SPHEREFACE_LAMBDA_DEFAULTS: Readonly<SphereFaceLambdaSchedule> = LOSS_DEFAULTS.sphereface.lambda;

export interface SphereFaceLambdaSchedule {
  base: number;
  gamma: number;
  power: number;
  /** The floor λ_min. */
  min: number;
}

/**
 * λ = max(λmin, base·(1+γ·iter)^(−power)) (margin_inner_product_layer.cpp). With the defaults
 * λ reaches its floor of 5 after ≈1,659 iterations.
 */
export function sphereFaceLambda(iter: number, o: Partial<SphereFaceLambdaSchedule> = {}): number {
  const { base, gamma, power, min: lambdaMin } = { ...SPHEREFACE_LAMBDA_DEFAULTS, ...o };
  if (!(Number.isFinite(iter) && iter >= 0))
    throw new TorchError(`sphereFaceLambda: iter must be ≥ 0, got ${iter}`, "ValueError");
  return Math.max(lambdaMin, base * (1 + gamma * iter) ** -power);
}

export interface SphereFaceOptions {
  /** Integer multiplicative margin (default LOSS_DEFAULTS.sphereface.m = 4, the paper's). */
  m?: number;
  /** Annealing weight λ; the target logit is (λ·‖x‖cosθ + ‖x‖ψ(θ))/(1+λ). Use sphereFaceLambda(iter). */
  lambda?: number;
}

/**
 * Original A-Softmax: weights L2-normalised, features NOT normalised, so the logit of class j is
 * ‖x‖·cos θ_j and the target's is ‖x‖·(λcosθ + ψ(θ))/(1+λ). Evaluation logits are ‖x‖·cos θ.
 */
export function sphereFaceLoss(
  features: Tensor,
  weight: Tensor,
  labels: Tensor,
  o: SphereFaceOptions = {},
): LossOutput {
  const m = o.m ?? LOSS_DEFAULTS.sphereface.m;
  const lambda = o.lambda ?? 0;
  checkHeadInputs("sphereFaceLoss", features, weight, labels);
  if (!(Number.isInteger(m) && m >= 1))
    throw new TorchError(`sphereFaceLoss: m must be an integer ≥ 1, got ${m}`, "ValueError");
  if (!(lambda >= 0)) throw new TorchError(`sphereFaceLoss: lambda must be ≥ 0, got ${lambda}`, "ValueError");
  const cos = cosineLogits(features, weight);
  const xnorm = features.norm(2, 1, true);
  const target = cos
    .mul(lambda)
    .add(aSoftmaxPsi(cos, m))
    .div(1 + lambda);
  const mask = targetMask(labels, weight.shape[0] as number);
  const logits = cos.mul(xnorm);
  const marginLogits = where(mask, target, cos).mul(xnorm);
  return { loss: F.crossEntropy(marginLogits, labels), logits };
}

/** Default scale s of SphereFace-R (LOSS_DEFAULTS; opensphere: 30). */
export const SPHEREFACE_R_SCALE = LOSS_DEFAULTS["sphereface-r"].scale;

export interface SphereFaceROptions {
  /** Scale s (default SPHEREFACE_R_SCALE). */
  scale?: number;
  /** Multiplicative margin, any real ≥ 1 (default 1.5, opensphere @3119c97; HEAD: 1.7). */
  multiplier?: number;
}

/**
 * opensphere's SphereFace head (ydwen/opensphere sphereface.py): normalised features and weights,
 * logits = s·(cos θ + d) with d = ψ(mθ) − cos θ at the target computed without gradient
 * ("characteristic gradient detachment", SphereFace Revived), so the gradient is that of s·cos θ.
 * No λ annealing. Evaluation logits are s·cos θ.
 */
export function sphereFaceRLoss(
  features: Tensor,
  weight: Tensor,
  labels: Tensor,
  o: SphereFaceROptions = {},
): LossOutput {
  const s = o.scale ?? SPHEREFACE_R_SCALE;
  const m = o.multiplier ?? LOSS_DEFAULTS["sphereface-r"].multiplier;
  checkHeadInputs("sphereFaceRLoss", features, weight, labels);
  checkPositive("sphereFaceRLoss", "scale", s);
  if (!(m >= 1)) throw new TorchError(`sphereFaceRLoss: multiplier must be ≥ 1, got ${m}`, "ValueError");
  const cos = cosineLogits(features, weight);
  const mask = targetMask(labels, weight.shape[0] as number);
  const delta = noGrad(() => {
    // opensphere clamps to ±(1−1e-5) before acos; only the target column gets θ·m.
    const mTheta = cos
      .clamp(-1 + 1e-5, 1 - 1e-5)
      .acos()
      .mul(m);
    const k = mTheta.div(Math.PI).floor();
    const sign = k.remainder(2).mul(-2).add(1);
    const phi = mTheta.cos().mul(sign).sub(k.mul(2));
    return where(mask, phi.sub(cos), 0);
  });
  const logits = cos.mul(s);
  return { loss: F.crossEntropy(cos.add(delta).mul(s), labels), logits };
}

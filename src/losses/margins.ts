// Softmax cross-entropy baseline and the additive-margin heads CosFace and ArcFace, the field's
// current standard (insightface CombinedMarginLoss: cos(m1·θ + m2) − m3).
import { F, type Tensor, TorchError, where } from "../torch/index.js";
import { checkHeadInputs, checkLabels, checkPositive, cosineLogits, type LossOutput, targetMask } from "./common.js";
import { LOSS_DEFAULTS } from "./defaults.js";

export interface SoftmaxOptions {
  /** Label smoothing ε in [0, 1): the target distribution is (1−ε)·one-hot + ε/C (default 0). */
  labelSmoothing?: number;
}

/** Plain softmax cross-entropy on a linear classifier: logits = x·Wᵀ + b. */
export function softmaxLoss(
  features: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  labels: Tensor,
  o: SoftmaxOptions = {},
): LossOutput {
  checkHeadInputs("softmaxLoss", features, weight, labels);
  const logits = F.linear(features, weight, bias);
  return { loss: smoothedCrossEntropy("softmaxLoss", logits, labels, o), logits };
}

/** Cross-entropy on logits you already have (N,C); returned logits are the input. */
export function crossEntropyLoss(logits: Tensor, labels: Tensor, o: SoftmaxOptions = {}): LossOutput {
  if (logits.ndim !== 2)
    throw new TorchError(`crossEntropyLoss: logits must be (N,C), got [${logits.shape.join(",")}]`, "ValueError");
  checkLabels("crossEntropyLoss", labels, logits.shape[0] as number, logits.shape[1] as number);
  return { loss: smoothedCrossEntropy("crossEntropyLoss", logits, labels, o), logits };
}

function smoothedCrossEntropy(fn: string, logits: Tensor, labels: Tensor, o: SoftmaxOptions): Tensor {
  const eps = o.labelSmoothing ?? LOSS_DEFAULTS.softmax.labelSmoothing;
  if (!(eps >= 0 && eps < 1)) throw new TorchError(`${fn}: labelSmoothing must be in [0, 1), got ${eps}`, "ValueError");
  return F.crossEntropy(logits, labels, { labelSmoothing: eps });
}

/** Default scale s of CosFace and ArcFace (LOSS_DEFAULTS). */
export const MARGIN_SCALE = LOSS_DEFAULTS.cosface.scale;

export interface CosFaceOptions {
  /** Scale s (default MARGIN_SCALE). */
  scale?: number;
  /** Additive cosine margin (default LOSS_DEFAULTS.cosface.margin = 0.35, insightface). */
  margin?: number;
}

/** CosFace / AM-Softmax (Wang et al. 2018): target logit s·(cos θ − m), others s·cos θ. */
export function cosFaceLoss(features: Tensor, weight: Tensor, labels: Tensor, o: CosFaceOptions = {}): LossOutput {
  const s = o.scale ?? LOSS_DEFAULTS.cosface.scale;
  const m = o.margin ?? LOSS_DEFAULTS.cosface.margin;
  checkHeadInputs("cosFaceLoss", features, weight, labels);
  checkPositive("cosFaceLoss", "scale", s);
  const cos = cosineLogits(features, weight);
  const mask = targetMask(labels, weight.shape[0] as number);
  const marginLogits = cos.sub(mask.to(cos.dtype).mul(m)).mul(s);
  return { loss: F.crossEntropy(marginLogits, labels), logits: cos.mul(s) };
}

export interface ArcFaceOptions {
  /** Scale s (default LOSS_DEFAULTS.arcface.scale = 64). */
  scale?: number;
  /** Additive angular margin in radians (default LOSS_DEFAULTS.arcface.margin = 0.5, insightface). */
  margin?: number;
  /**
   * Easy margin: apply cos(θ+m) only where cos θ > 0, else keep cos θ. Default false: the
   * insightface threshold rule, where for θ + m > π (cos θ ≤ cos(π−m)) the target logit becomes
   * cos θ − m·sin(m), which keeps the target logit decreasing in θ past the point where cos(θ+m)
   * would turn back up.
   */
  easyMargin?: boolean;
}

/** ArcFace (Deng et al. CVPR 2019): target logit s·cos(θ + m), others s·cos θ. */
export function arcFaceLoss(features: Tensor, weight: Tensor, labels: Tensor, o: ArcFaceOptions = {}): LossOutput {
  const s = o.scale ?? LOSS_DEFAULTS.arcface.scale;
  const m = o.margin ?? LOSS_DEFAULTS.arcface.margin;
  const easyMargin = o.easyMargin ?? LOSS_DEFAULTS.arcface.easyMargin;
  checkHeadInputs("arcFaceLoss", features, weight, labels);
  checkPositive("arcFaceLoss", "scale", s);
  if (!(m >= 0 && m < Math.PI / 2))
    throw new TorchError(`arcFaceLoss: margin must be in [0, π/2), got ${m}`, "ValueError");
  const cos = cosineLogits(features, weight);
  // sin θ = √(1−cos²). The floor 1e-12 keeps √'s derivative finite at θ = 0 or π; the clamp then
  // passes zero gradient there, where a floor of 0 would give ∞·0 = NaN (insightface#1555-style NaNs).
  const sin = cos.square().rsub(1).clamp(1e-12, 1).sqrt();
  const cosThetaPlusM = cos.mul(Math.cos(m)).sub(sin.mul(Math.sin(m)));
  const target = easyMargin
    ? where(cos.gt(0), cosThetaPlusM, cos)
    : where(cos.gt(Math.cos(Math.PI - m)), cosThetaPlusM, cos.sub(Math.sin(Math.PI - m) * m));
  const mask = targetMask(labels, weight.shape[0] as number);
  const marginLogits = where(mask, target, cos).mul(s);
  return { loss: F.crossEntropy(marginLogits, labels), logits: cos.mul(s) };
}

// Softmax cross-entropy baseline and the additive-margin heads CosFace and ArcFace, the field's
// current standard (insightface CombinedMarginLoss: cos(m1·θ + m2) − m3).
import { F, type Tensor, TorchError, where } from "../torch/index.js";
import { checkHeadInputs, checkLabels, checkPositive, cosineLogits, type LossOutput, targetMask } from "./common.js";

/** Plain softmax cross-entropy on a linear classifier: logits = x·Wᵀ + b. */
export function softmaxLoss(features: Tensor, weight: Tensor, bias: Tensor | null, labels: Tensor): LossOutput {
  checkHeadInputs("softmaxLoss", features, weight, labels);
  const logits = F.linear(features, weight, bias);
  return { loss: F.crossEntropy(logits, labels), logits };
}

/** Cross-entropy on logits you already have (N,C); returned logits are the input. */
export function crossEntropyLoss(logits: Tensor, labels: Tensor): LossOutput {
  if (logits.ndim !== 2)
    throw new TorchError(`crossEntropyLoss: logits must be (N,C), got [${logits.shape.join(",")}]`, "ValueError");
  checkLabels("crossEntropyLoss", labels, logits.shape[0] as number, logits.shape[1] as number);
  return { loss: F.crossEntropy(logits, labels), logits };
}

/** Default scale s of CosFace and ArcFace (insightface/opensphere: 64). */
export const MARGIN_SCALE = 64;

export interface CosFaceOptions {
  /** Scale s (default MARGIN_SCALE). */
  scale?: number;
  /** Additive cosine margin m (insightface sample_config: 0.35). */
  m?: number;
}

/** CosFace / AM-Softmax (Wang et al. 2018): target logit s·(cos θ − m), others s·cos θ. */
export function cosFaceLoss(features: Tensor, weight: Tensor, labels: Tensor, o: CosFaceOptions = {}): LossOutput {
  const s = o.scale ?? MARGIN_SCALE;
  const m = o.m ?? 0.35;
  checkHeadInputs("cosFaceLoss", features, weight, labels);
  checkPositive("cosFaceLoss", "scale", s);
  const cos = cosineLogits(features, weight);
  const mask = targetMask(labels, weight.shape[0] as number);
  const marginLogits = cos.sub(mask.to(cos.dtype).mul(m)).mul(s);
  return { loss: F.crossEntropy(marginLogits, labels), logits: cos.mul(s) };
}

export interface ArcFaceOptions {
  /** Scale s (default MARGIN_SCALE). */
  scale?: number;
  /** Additive angular margin m in radians (insightface: 0.5). */
  m?: number;
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
  const s = o.scale ?? MARGIN_SCALE;
  const m = o.m ?? 0.5;
  checkHeadInputs("arcFaceLoss", features, weight, labels);
  checkPositive("arcFaceLoss", "scale", s);
  if (!(m >= 0 && m < Math.PI / 2)) throw new TorchError(`arcFaceLoss: m must be in [0, π/2), got ${m}`, "ValueError");
  const cos = cosineLogits(features, weight);
  // sin θ = √(1−cos²). The floor 1e-12 keeps √'s derivative finite at θ = 0 or π; the clamp then
  // passes zero gradient there, where a floor of 0 would give ∞·0 = NaN (insightface#1555-style NaNs).
  const sin = cos.square().rsub(1).clamp(1e-12, 1).sqrt();
  const cosThetaPlusM = cos.mul(Math.cos(m)).sub(sin.mul(Math.sin(m)));
  const target = o.easyMargin
    ? where(cos.gt(0), cosThetaPlusM, cos)
    : where(cos.gt(Math.cos(Math.PI - m)), cosThetaPlusM, cos.sub(Math.sin(Math.PI - m) * m));
  const mask = targetMask(labels, weight.shape[0] as number);
  const marginLogits = where(mask, target, cos).mul(s);
  return { loss: F.crossEntropy(marginLogits, labels), logits: cos.mul(s) };
}

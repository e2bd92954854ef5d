// Shared pieces of the classification losses: input checks and the normalised cosine logits.
import { F, type Tensor, TorchError, tidy } from "../torch/index.js";

/** What every classification loss here returns. */
export interface LossOutput {
  /** Scalar training loss (mean over the batch). */
  loss: Tensor;
  /**
   * Logits for evaluation, WITHOUT the margin: softmax/accuracy/confidence are computed on these
   * (cf. wy1iu/sphereface#7: margin logits are not what the model predicts at test time).
   */
  logits: Tensor;
}

/** Checks features (N,D), class weights (C,D) and int64 labels (N) in [0, C). */
export function checkHeadInputs(fn: string, features: Tensor, weight: Tensor, labels: Tensor): void {
  const fs = features.shape;
  const ws = weight.shape;
  if (fs.length !== 2)
    throw new TorchError(`${fn}: features must be 2-D (N,D), got shape [${fs.join(",")}]`, "ValueError");
  if (ws.length !== 2 || ws[1] !== fs[1])
    throw new TorchError(
      `${fn}: weight must be (C,${fs[1]}) to match features (N,${fs[1]}), got [${ws.join(",")}]`,
      "ValueError",
    );
  checkLabels(fn, labels, fs[0] as number, ws[0] as number);
}

/** Checks int64 labels (N) with values in [0, numClasses). */
export function checkLabels(fn: string, labels: Tensor, n: number, numClasses: number): void {
  const ls = labels.shape;
  if (labels.dtype !== "int64") throw new TorchError(`${fn}: labels must be int64, got ${labels.dtype}`, "TypeError");
  if (ls.length !== 1 || ls[0] !== n)
    throw new TorchError(`${fn}: labels must have shape [${n}] (one per row), got [${ls.join(",")}]`, "ValueError");
  if (n === 0) throw new TorchError(`${fn}: empty batch`, "ValueError");
  const [lo, hi] = tidy(() => [labels.min().item(), labels.max().item()]);
  if (lo < 0 || hi >= numClasses)
    throw new TorchError(`${fn}: labels must lie in [0, ${numClasses}), got values in [${lo}, ${hi}]`, "ValueError");
}

export function checkPositive(fn: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0))
    throw new TorchError(`${fn}: ${name} must be a positive number, got ${v}`, "ValueError");
}

/**
 * cos θ between each feature and each class weight, (N,C), clamped to [-1, 1] so that rounding
 * (|cos| = 1 + 1e-7) never reaches acos or sqrt(1 - cos²) as a NaN. Features and weights are
 * L2-normalised (eps keeps a zero vector finite).
 */
export function cosineLogits(features: Tensor, weight: Tensor): Tensor {
  const cos = F.normalize(features, 2, 1).matmul(F.normalize(weight, 2, 1).t());
  return cos.clamp(-1, 1);
}

/** Boolean (N,C) mask that is true at each row's label. */
export function targetMask(labels: Tensor, numClasses: number): Tensor {
  return F.oneHot(labels, numClasses).bool();
}

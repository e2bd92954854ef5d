// The nn functional set (torch.nn.functional), validated in TypeScript before crossing into LibTorch.
// One-liners (relu, softmax, oneHot, ...) are generated from the op schemas into generated/functional.ts.
import { TorchError } from "../errors.js";
import * as aten from "../generated/aten.js";
import type { Tensor } from "../tensor.js";

export * from "../generated/functional.js";

export type Reduction = "none" | "mean" | "sum";
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };
const pair = (x: number | number[]): number[] => (typeof x === "number" ? [x, x] : x);

function expectDims(fn: string, input: Tensor, dims: number[], layout: string): void {
  const shape = input.shape;
  if (!dims.includes(shape.length))
    throw new TorchError(
      `Expected ${dims.join(" or ")}-D input ${layout} for ${fn} but received shape [${shape.join(",")}]`,
      "ValueError",
    );
}

export interface Conv2dOptions {
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  groups?: number;
}

export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, o: Conv2dOptions = {}): Tensor {
  expectDims("conv2d", input, [3, 4], "(N,C,H,W)");
  const groups = o.groups ?? 1;
  const cin = input.shape[input.ndim - 3] as number;
  const wshape = weight.shape;
  if (wshape.length !== 4 || (wshape[1] as number) * groups !== cin)
    throw new TorchError(
      `conv2d weight [${wshape.join(",")}] with groups=${groups} expects ${(wshape[1] as number) * groups} input channels, input has ${cin}`,
      "ValueError",
    );
  return aten.conv2d(
    input,
    weight,
    bias ?? null,
    pair(o.stride ?? 1),
    pair(o.padding ?? 0),
    pair(o.dilation ?? 1),
    groups,
  );
}

export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const inF = input.shape.at(-1);
  const wIn = weight.shape.at(-1);
  if (inF !== wIn)
    throw new TorchError(
      `linear: input has ${inF} features but weight [${weight.shape.join(",")}] expects ${wIn}`,
      "ValueError",
    );
  return aten.linear(input, weight, bias ?? null);
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch norm; in training mode the running statistics (if given) are updated in place. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  o: BatchNormOptions = {},
) {
  expectDims("batch_norm", input, [2, 3, 4, 5], "(N,C,...)");
  const training = o.training ?? false;
  if (!training && (runningMean === null || runningVar === null))
    throw new TorchError("batch_norm in eval mode needs running_mean and running_var", "ValueError");
  return aten.batchNorm(
    input,
    o.weight ?? null,
    o.bias ?? null,
    runningMean,
    runningVar,
    training,
    o.momentum ?? 0.1,
    o.eps ?? 1e-5,
    true,
  );
}

export function layerNorm(
  input: Tensor,
  normalizedShape: number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
) {
  return aten.layerNorm(input, normalizedShape, weight ?? null, bias ?? null, eps, true);
}

export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new TorchError(`dropout probability must be in [0, 1], got ${p}`, "ValueError");
  return aten.dropout(x, p, training);
}

export interface Pool2dOptions {
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  ceilMode?: boolean;
}

export function maxPool2d(input: Tensor, kernelSize: number | number[], o: Pool2dOptions = {}): Tensor {
  expectDims("max_pool2d", input, [3, 4], "(N,C,H,W)");
  return aten.maxPool2d(
    input,
    pair(kernelSize),
    o.stride === undefined ? [] : pair(o.stride),
    pair(o.padding ?? 0),
    pair(o.dilation ?? 1),
    o.ceilMode ?? false,
  );
}

export function avgPool2d(input: Tensor, kernelSize: number | number[], o: Pool2dOptions = {}): Tensor {
  expectDims("avg_pool2d", input, [3, 4], "(N,C,H,W)");
  return aten.avgPool2d(
    input,
    pair(kernelSize),
    o.stride === undefined ? [] : pair(o.stride),
    pair(o.padding ?? 0),
    o.ceilMode ?? false,
  );
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: number | number[]): Tensor {
  expectDims("adaptive_avg_pool2d", input, [3, 4], "(N,C,H,W)");
  return aten.adaptiveAvgPool2d(input, pair(outputSize));
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** Cross entropy from logits (N,C) and integer targets (N) or class probabilities (N,C). */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  expectDims("cross_entropy", logits, [1, 2, 3, 4], "(N,C,...)");
  const ls = o.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new TorchError(`label_smoothing must be in [0, 1], got ${ls}`, "ValueError");
  if (target.dtype === "int64" && logits.ndim >= 2 && target.shape[0] !== logits.shape[0])
    throw new TorchError(
      `cross_entropy: ${logits.shape[0]} rows of logits but ${target.shape[0]} targets`,
      "ValueError",
    );
  return aten.crossEntropyLoss(
    logits,
    target,
    o.weight ?? null,
    REDUCTION[o.reduction ?? "mean"],
    o.ignoreIndex ?? -100,
    ls,
  );
}

export function nllLoss(logProbs: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, "labelSmoothing"> = {}): Tensor {
  return aten.nllLoss(logProbs, target, o.weight ?? null, REDUCTION[o.reduction ?? "mean"], o.ignoreIndex ?? -100);
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  return aten.mseLoss(input, target, REDUCTION[reduction]);
}

export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  return aten.binaryCrossEntropyWithLogits(input, target, null, null, REDUCTION[reduction]);
}

/** x / max(||x||_p, eps) along dim (F.normalize). */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  const n = aten.linalgVectorNorm(x, p, [dim], true);
  const d = n.clamp(eps);
  const out = x.div(d);
  n.dispose();
  d.dispose();
  return out;
}

export type InterpolateMode = "nearest" | "bilinear";
export function interpolate(
  input: Tensor,
  o: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean },
): Tensor {
  expectDims("interpolate", input, [4], "(N,C,H,W)");
  const size = o.size === undefined ? null : pair(o.size);
  const scale = o.scaleFactor === undefined ? null : pair(o.scaleFactor);
  if ((size === null) === (scale === null))
    throw new TorchError("interpolate needs exactly one of size or scaleFactor", "ValueError");
  if ((o.mode ?? "nearest") === "nearest") return aten.upsampleNearest2dVec(input, size, scale);
  return aten.upsampleBilinear2dVec(input, size, o.alignCorners ?? false, scale);
}

/** Pads the last dims: pad = [left, right, top, bottom, ...] like F.pad. */
export function pad(
  input: Tensor,
  padding: number[],
  mode: "constant" | "reflect" | "replicate" = "constant",
  value = 0,
) {
  if (!padding.every((p) => Number.isInteger(p)))
    throw new TorchError(`pad: padding must be integers, got [${padding.join(", ")}]`, "ValueError");
  if (mode === "constant") return aten.constantPadNd(input, padding, value);
  // LibTorch 1.13's reflection_pad2d reads four entries without checking: validate here.
  expectDims(`pad (${mode})`, input, [3, 4], "(N,C,H,W)");
  if (padding.length !== 4)
    throw new TorchError(
      `pad (${mode}) needs 4 entries [left, right, top, bottom], got [${padding.join(", ")}]`,
      "ValueError",
    );
  if (mode === "reflect") return aten.reflectionPad2d(input, padding);
  return aten.replicationPad2d(input, padding);
}

/** Samples input at grid locations (N,H,W,2) in [-1, 1]. */
export function gridSample(
  input: Tensor,
  grid: Tensor,
  o: { mode?: "bilinear" | "nearest"; paddingMode?: "zeros" | "border" | "reflection"; alignCorners?: boolean } = {},
): Tensor {
  const mode = { bilinear: 0, nearest: 1 }[o.mode ?? "bilinear"];
  const padding = { zeros: 0, border: 1, reflection: 2 }[o.paddingMode ?? "zeros"];
  return aten.gridSampler(input, grid, mode, padding, o.alignCorners ?? false);
}

/** Sampling grid for batched affine transforms theta (N,2,3). */
export function affineGrid(theta: Tensor, size: number[], alignCorners = false): Tensor {
  return aten.affineGridGenerator(theta, size, alignCorners);
}

export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return aten.embedding(weight, indices);
}

// torch.nn.init: in-place initialisers (run under noGrad), returning the tensor they filled.
// Formulas follow torch/nn/init.py (PyTorch 1.13): gains, fan computation, Kaiming and Xavier bounds.
import { noGrad } from "../autograd.js";
import { TorchError } from "../errors.js";
import type { Tensor } from "../tensor.js";

export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "selu";
export type FanMode = "fan_in" | "fan_out";

/** Recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new TorchError(`unsupported nonlinearity '${String(nonlinearity)}'`, "ValueError");
  }
}

/** fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (needs ≥ 2 dims). */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2)
    throw new TorchError(
      `fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [${s}])`,
      "ValueError",
    );
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (s[1] as number) * receptive, fanOut: (s[0] as number) * receptive };
}

function inPlace(t: Tensor, fn: () => Tensor): Tensor {
  noGrad(() => fn().dispose());
  return t;
}

export const uniform_ = (t: Tensor, a = 0, b = 1): Tensor => inPlace(t, () => t.uniform_(a, b));
export const normal_ = (t: Tensor, mean = 0, std = 1): Tensor => inPlace(t, () => t.normal_(mean, std));
export const constant_ = (t: Tensor, value: number): Tensor => inPlace(t, () => t.fill_(value));
export const zeros_ = (t: Tensor): Tensor => inPlace(t, () => t.zero_());
export const ones_ = (t: Tensor): Tensor => inPlace(t, () => t.fill_(1));

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU after this layer (PyTorch's `a`); 0 by default. */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = (o.mode ?? "fan_in") === "fan_in" ? fanIn : fanOut;
  const gain = calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** U(-b, b) with b = gain * sqrt(3 / fan) (He et al. 2015). */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  return uniform_(t, -bound, bound);
}

/** N(0, std²) with std = gain / sqrt(fan) (He et al. 2015). */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, o));
}

/** U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}

/** N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

// Parameter-free layers and PReLU: thin modules over nn/functional.ts.

import { empty } from "../creation.js";
import { TorchError } from "../errors.js";
import * as aten from "../generated/aten.js";
import type { Tensor } from "../tensor.js";
import type { FactoryOptions } from "./conv.js";
import * as F from "./functional.js";
import { constant_, ones_, zeros_ } from "./init.js";
import { Module } from "./module.js";

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class ReLU extends Module {
  constructor(readonly inplace = false) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.inplace ? aten.relu_(x) : F.relu(x);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

/** max(0,x) + a·min(0,x) with a learnable slope a, one per channel or shared (PyTorch init 0.25). */
export class PReLU extends Module {
  readonly weight: Tensor;
  constructor(
    readonly numParameters = 1,
    init = 0.25,
    o: FactoryOptions = {},
  ) {
    super();
    if (!Number.isInteger(numParameters) || numParameters <= 0)
      throw new TorchError(`PReLU: numParameters must be a positive integer, got ${numParameters}`, "ValueError");
    this.weight = this.registerParameter("weight", constant_(empty([numParameters], o), init));
  }
  forward(x: Tensor): Tensor {
    if (this.numParameters > 1 && x.shape[x.ndim >= 2 ? 1 : 0] !== this.numParameters)
      throw new TorchError(
        `PReLU: ${this.numParameters} parameters but the input has ${x.shape[x.ndim >= 2 ? 1 : 0]} channels (shape [${x.shape}])`,
        "ValueError",
      );
    return F.prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

/** Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1))
      throw new TorchError(`dropout probability has to be between 0 and 1, but got ${p}`, "ValueError");
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: number | [number, number],
    readonly options: F.Pool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    return `kernel_size=${this.kernelSize}, stride=${o.stride ?? this.kernelSize}, padding=${o.padding ?? 0}`;
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: number | [number, number],
    readonly options: Omit<F.Pool2dOptions, "dilation"> = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.options);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number, number]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${this.outputSize}`;
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

/** Normalises over the trailing dims given by normalizedShape (weight 1, bias 0 by default). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  constructor(
    normalizedShape: number | number[],
    readonly o: FactoryOptions & { eps?: number; elementwiseAffine?: boolean } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
    if (!this.normalizedShape.every((d) => Number.isInteger(d) && d > 0))
      throw new TorchError(
        `LayerNorm: normalizedShape must be positive integers, got [${this.normalizedShape}]`,
        "ValueError",
      );
    const affine = o.elementwiseAffine ?? true;
    const f = { dtype: o.dtype, device: o.device };
    this.weight = this.registerParameter("weight", affine ? ones_(empty(this.normalizedShape, f)) : null);
    this.bias = this.registerParameter("bias", affine ? zeros_(empty(this.normalizedShape, f)) : null);
  }
  forward(x: Tensor): Tensor {
    const tail = x.shape.slice(x.ndim - this.normalizedShape.length);
    if (x.ndim < this.normalizedShape.length || tail.some((d, i) => d !== this.normalizedShape[i]))
      throw new TorchError(
        `LayerNorm: expected input with shape [*, ${this.normalizedShape.join(", ")}], got [${x.shape}]`,
        "ValueError",
      );
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.o.eps ?? 1e-5);
  }
  override extraRepr(): string {
    return `(${this.normalizedShape}), eps=${this.o.eps ?? 1e-5}, elementwise_affine=${this.weight !== null}`;
  }
}

// Conv2d and Linear with PyTorch's default initialisation (torch/nn/modules/conv.py, linear.py
// reset_parameters): weight ~ kaiming_uniform(a=sqrt(5)), i.e. U(±1/sqrt(fan_in)), and
// bias ~ U(±1/sqrt(fan_in)).
import { empty } from "../creation.js";
import type { DType } from "../dtype.js";
import { TorchError } from "../errors.js";
import type { Device, Tensor } from "../tensor.js";
import * as F from "./functional.js";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "./init.js";
import { Module } from "./module.js";

/** Where a layer's parameters are created (PyTorch's factory_kwargs). */
export interface FactoryOptions {
  dtype?: DType;
  device?: Device;
}

type Pair = number | [number, number];
const pair = (x: Pair): [number, number] => (typeof x === "number" ? [x, x] : x);

function positiveInt(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0)
    throw new TorchError(`${layer}: ${name} must be a positive integer, got ${v}`, "ValueError");
}

/** PyTorch's reset_parameters for conv and linear layers. */
function resetDefault(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}

export interface Conv2dOptions extends FactoryOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    o: Conv2dOptions = {},
  ) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(o.stride ?? 1);
    this.padding = pair(o.padding ?? 0);
    this.dilation = pair(o.dilation ?? 1);
    this.groups = o.groups ?? 1;
    positiveInt("Conv2d", "inChannels", inChannels);
    positiveInt("Conv2d", "outChannels", outChannels);
    positiveInt("Conv2d", "groups", this.groups);
    for (const k of this.kernelSize) positiveInt("Conv2d", "kernelSize", k);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new TorchError(
        `Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${this.groups})`,
        "ValueError",
      );
    const f = { dtype: o.dtype, device: o.device };
    const [kh, kw] = this.kernelSize;
    this.weight = this.registerParameter("weight", empty([outChannels, inChannels / this.groups, kh, kw], f));
    this.bias = this.registerParameter("bias", (o.bias ?? true) ? empty([outChannels], f) : null);
    resetDefault(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    const extra = [
      this.stride.some((s) => s !== 1) ? `, stride=(${this.stride})` : "",
      this.padding.some((s) => s !== 0) ? `, padding=(${this.padding})` : "",
      this.dilation.some((s) => s !== 1) ? `, dilation=(${this.dilation})` : "",
      this.groups !== 1 ? `, groups=${this.groups}` : "",
      this.bias === null ? ", bias=False" : "",
    ].join("");
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize})${extra}`;
  }
}

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** y = x Wᵀ + b with W of shape [outFeatures, inFeatures]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    o: LinearOptions = {},
  ) {
    super();
    positiveInt("Linear", "inFeatures", inFeatures);
    positiveInt("Linear", "outFeatures", outFeatures);
    const f = { dtype: o.dtype, device: o.device };
    this.weight = this.registerParameter("weight", empty([outFeatures, inFeatures], f));
    this.bias = this.registerParameter("bias", (o.bias ?? true) ? empty([outFeatures], f) : null);
    resetDefault(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

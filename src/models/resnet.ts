// ResNet-18/34/50/101/152 (He et al. 2016) with torchvision's module names, so stateDict() keys equal
// torchvision.models.resnetXX().state_dict() keys and checkpoints move both ways. One builder
// (`resnet`, like torchvision's `_resnet`) and one-line factories.
// Extras for self-supervised work: a CIFAR stem (3×3 stride-1 conv, no max-pool; google SimCLR's
// `cifar_stem`, reference/simclr.md §1.1), a width multiplier on every layer's channels (SimCLR's
// `width_multiplier`), any number of input channels, and numClasses 0 for a headless encoder.
import type { DType } from "../torch/dtype.js";
import { TorchError } from "../torch/errors.js";
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Identity,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
} from "../torch/nn/index.js";
import { constant_, kaimingNormal_ } from "../torch/nn/init.js";
import type { Device, Tensor } from "../torch/tensor.js";

interface BlockConfig {
  inplanes: number;
  planes: number;
  stride: number;
  downsample: Sequential | null;
  groups: number;
  baseWidth: number;
  f: { dtype?: DType; device?: Device };
}

/** Returns next after disposing prev's handle (autograd keeps what it saved; the rest is freed now). */
function then(prev: Tensor, next: Tensor): Tensor {
  prev.dispose();
  return next;
}

/** The residual branch input: x, or downsample(x) (conv 1×1 + BN) with its temporary freed. */
function shortcut(downsample: Sequential | null, x: Tensor): Tensor {
  if (downsample === null) return x;
  const c = downsample.at(0).call(x);
  return then(c, downsample.at(1).call(c));
}

/**
 * out = relu(branch(x) + shortcut(x)), where the branch is conv/BN pairs with a ReLU after each but
 * the last, and the shortcut is x or downsample(x). Each intermediate is freed as soon as the next
 * op has it.
 */
abstract class ResidualBlock extends Module {
  #downsample: Sequential | null = null;

  /** conv 1×1 + BN on the shortcut where the shape changes, else null. */
  get downsample(): Sequential | null {
    return this.#downsample;
  }

  /** Registers the shortcut's downsample last, after the branch, as torchvision orders its keys. */
  protected registerDownsample(downsample: Sequential | null): void {
    this.#downsample = downsample && this.registerModule("downsample", downsample);
  }

  /** The branch's conv/BN pairs, in order. */
  protected abstract branch(): readonly (readonly [Conv2d, BatchNorm2d])[];

  /** The BN whose γ zeroInitResidual sets to 0, so the block starts as the identity. */
  abstract get lastBn(): BatchNorm2d;

  forward(x: Tensor): Tensor {
    const pairs = this.branch();
    let out = x;
    pairs.forEach(([conv, bn], k) => {
      const c = conv.call(out);
      if (out !== x) out.dispose();
      out = then(c, bn.call(c));
      if (k < pairs.length - 1) out = then(out, out.relu_());
    });
    const identity = shortcut(this.#downsample, x);
    out = then(out, out.add_(identity));
    if (identity !== x) identity.dispose();
    return then(out, out.relu_());
  }
}

/** Two 3×3 convolutions (ResNet-18/34). Output channels = planes. */
export class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;

  constructor(c: BlockConfig) {
    super();
    if (c.groups !== 1 || c.baseWidth !== 64)
      throw new TorchError("BasicBlock only supports groups=1 and widthPerGroup=64 (as torchvision)", "ValueError");
    this.conv1 = this.registerModule(
      "conv1",
      new Conv2d(c.inplanes, c.planes, 3, { stride: c.stride, padding: 1, bias: false, ...c.f }),
    );
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(c.planes, c.f));
    this.registerModule("relu", new ReLU(true));
    this.conv2 = this.registerModule("conv2", new Conv2d(c.planes, c.planes, 3, { padding: 1, bias: false, ...c.f }));
    this.bn2 = this.registerModule("bn2", new BatchNorm2d(c.planes, c.f));
    this.registerDownsample(c.downsample);
  }

  get lastBn(): BatchNorm2d {
    return this.bn2;
  }

  protected branch() {
    return [
      [this.conv1, this.bn1],
      [this.conv2, this.bn2],
    ] as const;
  }
}

/** 1×1 → 3×3 (stride here, as torchvision "ResNet V1.5") → 1×1 with 4× expansion (ResNet-50+). */
export class Bottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;

  constructor(c: BlockConfig) {
    super();
    const width = Math.floor(c.planes * (c.baseWidth / 64)) * c.groups;
    const out = c.planes * Bottleneck.expansion;
    this.conv1 = this.registerModule("conv1", new Conv2d(c.inplanes, width, 1, { bias: false, ...c.f }));
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(width, c.f));
    this.conv2 = this.registerModule(
      "conv2",
      new Conv2d(width, width, 3, { stride: c.stride, padding: 1, groups: c.groups, bias: false, ...c.f }),
    );
    this.bn2 = this.registerModule("bn2", new BatchNorm2d(width, c.f));
    this.conv3 = this.registerModule("conv3", new Conv2d(width, out, 1, { bias: false, ...c.f }));
    this.bn3 = this.registerModule("bn3", new BatchNorm2d(out, c.f));
    this.registerModule("relu", new ReLU(true));
    this.registerDownsample(c.downsample);
  }

  get lastBn(): BatchNorm2d {
    return this.bn3;
  }

  protected branch() {
    return [
      [this.conv1, this.bn1],
      [this.conv2, this.bn2],
      [this.conv3, this.bn3],
    ] as const;
  }
}

export type Block = typeof BasicBlock | typeof Bottleneck;

export interface ResNetOptions {
  /** Size of the fc layer; 0 gives no classifier (fc is Identity, forward returns features). Default 1000. */
  numClasses?: number;
  /** Image channels: 3 (RGB, default) or 1 (grayscale). */
  inChannels?: number;
  /** 3×3 stride-1 stem conv and no max-pool, for 32×32-class images (google SimCLR's cifar_stem). */
  cifarStem?: boolean;
  /** Multiplies every layer's channel count (SimCLR's width_multiplier; 2 gives ResNet-50 (2×)). */
  widthMultiplier?: number;
  /** Sets the last BN γ of each residual block to 0 so blocks start as identities (Goyal et al. 2017). */
  zeroInitResidual?: boolean;
  /**
   * Residual blocks per stage, overriding the factory's ([2, 2, 2, 2] for ResNet-18). [1, 1, 1, 1] is
   * the one-block-per-stage net of issue #15's CPU reference (0.31 M parameters at width 16).
   */
  layers?: readonly [number, number, number, number];
  /** torchvision's ResNeXt/wide options for Bottleneck blocks. */
  groups?: number;
  widthPerGroup?: number;
  dtype?: DType;
  device?: Device;
}

export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly maxpool: MaxPool2d | Identity;
  readonly layers: Sequential[];
  readonly fc: Linear | Identity;
  /** Width of the pooled representation (512·expansion·widthMultiplier). */
  readonly featureDim: number;
  readonly numClasses: number;

  constructor(block: Block, defaultLayers: readonly [number, number, number, number], o: ResNetOptions = {}) {
    super();
    const layers = o.layers ?? defaultLayers;
    if (layers.length !== 4 || !layers.every((n) => Number.isInteger(n) && n >= 1))
      throw new TorchError(`ResNet: layers must be 4 integers ≥ 1 (blocks per stage), got [${layers}]`, "ValueError");
    const wm = o.widthMultiplier ?? 1;
    const inC = o.inChannels ?? 3;
    const numClasses = o.numClasses ?? 1000;
    if (!(wm > 0)) throw new TorchError(`ResNet: widthMultiplier must be > 0, got ${wm}`, "ValueError");
    if (!Number.isInteger(inC) || inC < 1)
      throw new TorchError(`ResNet: inChannels must be a positive integer, got ${inC}`, "ValueError");
    if (!Number.isInteger(numClasses) || numClasses < 0)
      throw new TorchError(`ResNet: numClasses must be an integer ≥ 0, got ${numClasses}`, "ValueError");
    const f = { dtype: o.dtype, device: o.device };
    const groups = o.groups ?? 1;
    const baseWidth = o.widthPerGroup ?? 64;
    const ch = (c: number) => Math.max(1, Math.round(c * wm));

    let inplanes = ch(64);
    // Modules are created and registered in torchvision's order, so the same seed consumes the
    // random stream the same way.
    this.conv1 = this.registerModule(
      "conv1",
      o.cifarStem
        ? new Conv2d(inC, inplanes, 3, { stride: 1, padding: 1, bias: false, ...f })
        : new Conv2d(inC, inplanes, 7, { stride: 2, padding: 3, bias: false, ...f }),
    );
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(inplanes, f));
    this.registerModule("relu", new ReLU(true));
    this.maxpool = this.registerModule(
      "maxpool",
      o.cifarStem ? new Identity() : new MaxPool2d(3, { stride: 2, padding: 1 }),
    );
    this.layers = [];
    [64, 128, 256, 512].forEach((base, i) => {
      const planes = ch(base);
      const stride = i === 0 ? 1 : 2;
      const blocks = new Sequential();
      for (let b = 0; b < (layers[i] as number); b++) {
        const s = b === 0 ? stride : 1;
        const outC = planes * block.expansion;
        const downsample =
          b === 0 && (s !== 1 || inplanes !== outC)
            ? new Sequential(new Conv2d(inplanes, outC, 1, { stride: s, bias: false, ...f }), new BatchNorm2d(outC, f))
            : null;
        blocks.append(new block({ inplanes, planes, stride: s, downsample, groups, baseWidth, f }));
        inplanes = outC;
      }
      this.layers.push(this.registerModule(`layer${i + 1}`, blocks));
    });
    this.registerModule("avgpool", new AdaptiveAvgPool2d([1, 1]));
    this.featureDim = inplanes;
    this.numClasses = numClasses;
    this.fc = this.registerModule("fc", numClasses > 0 ? new Linear(inplanes, numClasses, f) : new Identity());

    // torchvision's initialisation: He normal (fan_out, relu) for convs, BN γ=1 β=0, fc default.
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: "fan_out", nonlinearity: "relu" });
    }
    if (o.zeroInitResidual) {
      for (const m of this.modules())
        if (m instanceof BasicBlock || m instanceof Bottleneck) constant_(m.lastBn.weight as Tensor, 0);
    }
  }

  /** The pooled representation h (N × featureDim): everything before fc. */
  features(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.conv1.inChannels)
      throw new TorchError(
        `ResNet expects input (N, ${this.conv1.inChannels}, H, W) but received shape [${x.shape}]`,
        "ValueError",
      );
    let out = this.conv1.call(x);
    out = then(out, this.bn1.call(out));
    out = then(out, out.relu_());
    if (this.maxpool instanceof MaxPool2d) out = then(out, this.maxpool.call(out));
    for (const layer of this.layers) for (const blk of layer) out = then(out, blk.call(out));
    out = then(out, out.mean([2, 3])); // adaptive average pooling to 1×1, flattened
    return out;
  }

  forward(x: Tensor): Tensor {
    const h = this.features(x);
    if (this.fc instanceof Identity) return h;
    return then(h, this.fc.call(h));
  }
}

/** The builder behind every factory (torchvision's `_resnet`). */
export function resnet(block: Block, layers: readonly [number, number, number, number], o: ResNetOptions = {}): ResNet {
  return new ResNet(block, layers, o);
}

export const resnet18 = (o: ResNetOptions = {}) => resnet(BasicBlock, [2, 2, 2, 2], o);
export const resnet34 = (o: ResNetOptions = {}) => resnet(BasicBlock, [3, 4, 6, 3], o);
export const resnet50 = (o: ResNetOptions = {}) => resnet(Bottleneck, [3, 4, 6, 3], o);
export const resnet101 = (o: ResNetOptions = {}) => resnet(Bottleneck, [3, 4, 23, 3], o);
export const resnet152 = (o: ResNetOptions = {}) => resnet(Bottleneck, [3, 8, 36, 3], o);

export const RESNETS = { resnet18, resnet34, resnet50, resnet101, resnet152 } as const;
export type ResNetName = keyof typeof RESNETS;

// The backbone registry: every feature extractor a config can name. The ResNet family
// (resnet.ts; the face-recognition seed used ResNet-50) and a small CNN for CPU-sized tests and
// demos. Every backbone exposes features(x) → (N, featureDim).
import { nn, type Tensor } from "../torch/index.js";
import { RESNETS, type ResNetName } from "./resnet.js";

export interface BackboneOptions {
  /** A name of BACKBONES: "convnet" (small CNN) or resnet18, resnet34, resnet50, … */
  backbone: string;
  inChannels?: number;
  /** Base width (ResNet: 64 as torchvision; convnet: channels of its first stage). */
  width?: number;
  /** ResNet: 3×3 stride-1 stem without max-pool, for small images (CIFAR-sized, 32×32). */
  cifarStem?: boolean;
  /** ResNet: residual blocks per stage instead of the architecture's ([1,1,1,1]: issue #15's CPU net). */
  layers?: readonly [number, number, number, number];
}

export interface Backbone extends nn.AnyModule {
  readonly featureDim: number;
  features(x: Tensor): Tensor;
}

/** Three conv-BN-ReLU stages (the last two stride 2) and global average pooling. */
export class SmallConvNet extends nn.Module implements Backbone {
  readonly featureDim: number;
  readonly body: nn.Sequential;

  constructor(inChannels = 3, width = 16) {
    super();
    const w = [width, width * 2, width * 4];
    const stage = (cin: number, cout: number, stride: number) => [
      new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }),
      new nn.BatchNorm2d(cout),
      new nn.ReLU(),
    ];
    this.body = this.registerModule(
      "body",
      new nn.Sequential(
        ...stage(inChannels, w[0] as number, 1),
        ...stage(w[0] as number, w[1] as number, 2),
        ...stage(w[1] as number, w[2] as number, 2),
        new nn.AdaptiveAvgPool2d(1),
        new nn.Flatten(),
      ),
    );
    this.featureDim = w[2] as number;
  }

  forward(x: Tensor): Tensor {
    return this.body.call(x);
  }
  features(x: Tensor): Tensor {
    return this.body.call(x);
  }
}

/** A ResNet without its fc; width is the first stage's channels (64 in torchvision), so the multiplier is width/64. */
const resnetBackbone =
  (name: ResNetName) =>
  (o: BackboneOptions): Backbone =>
    RESNETS[name]({
      numClasses: 0,
      cifarStem: o.cifarStem ?? true,
      inChannels: o.inChannels ?? 3,
      widthMultiplier: (o.width ?? 64) / 64,
      layers: o.layers,
    });

/** Backbones by the name configs use. */
export const BACKBONES: Record<string, (o: BackboneOptions) => Backbone> = {
  convnet: (o) => new SmallConvNet(o.inChannels ?? 3, o.width ?? 16),
  ...Object.fromEntries((Object.keys(RESNETS) as ResNetName[]).map((n) => [n, resnetBackbone(n)])),
};

export function createBackbone(o: BackboneOptions): Backbone {
  const make = BACKBONES[o.backbone];
  if (make === undefined)
    throw new Error(`unknown backbone "${o.backbone}": expected one of ${Object.keys(BACKBONES).join(", ")}`);
  return make(o);
}

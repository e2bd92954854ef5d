// Backbones for face recognition: the ResNet family of src/models (the seed used ResNet-50) and a
// small CNN for CPU-sized tests and demos. Every backbone exposes features(x) → (N, featureDim).
import { nn, type Tensor } from "../../torch/index.js";

export interface BackboneOptions {
  /** "convnet" (small CNN) or a ResNet name from src/models: resnet18, resnet34, resnet50, … */
  backbone: string;
  inChannels?: number;
  /** Base width (ResNet: 64 as torchvision; convnet: channels of its first stage). */
  width?: number;
  /** ResNet: 3×3 stride-1 stem without max-pool, for small images (CIFAR-sized, 32×32). */
  cifarStem?: boolean;
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

type ResNetFactory = (o: Record<string, unknown>) => nn.AnyModule & { features(x: Tensor): Tensor };

/** Loaded lazily so the small CNN works even where src/models is absent. */
let resnetModule: Record<string, unknown> | undefined;
export async function loadModels(): Promise<void> {
  // A computed specifier: src/models is another engineer's folder and may not exist yet.
  const path = "../../models/resnet.js";
  resnetModule ??= (await import(path)) as Record<string, unknown>;
}

export function createBackbone(o: BackboneOptions): Backbone {
  if (o.backbone === "convnet") return new SmallConvNet(o.inChannels ?? 3, o.width ?? 16);
  const m = /^resnet(18|34|50|101|152)$/.exec(o.backbone);
  if (!m) throw new Error(`unknown backbone "${o.backbone}": expected convnet or resnet18/34/50/101/152`);
  if (resnetModule === undefined)
    throw new Error(`backbone ${o.backbone}: call loadModels() first (src/models/resnet.ts)`);
  const factory = resnetModule[o.backbone] as ResNetFactory | undefined;
  if (typeof factory !== "function") throw new Error(`src/models/resnet.ts has no ${o.backbone}() factory`);
  return wrapResNet(factory, o);
}

function wrapResNet(factory: ResNetFactory, o: BackboneOptions): Backbone {
  // src/models/resnet.ts: numClasses 0 = no fc; width is the first stage's channels (64 in
  // torchvision), so the width multiplier is width/64.
  const net = factory({
    numClasses: 0,
    cifarStem: o.cifarStem ?? true,
    inChannels: o.inChannels ?? 3,
    widthMultiplier: (o.width ?? 64) / 64,
  });
  if (typeof (net as { featureDim?: unknown }).featureDim !== "number")
    throw new Error(`${o.backbone}: the model does not say its feature size (featureDim)`);
  return net as unknown as Backbone;
}

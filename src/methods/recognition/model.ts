// The face-recognition network: backbone → embedding layer (FC + BatchNorm1d, no ReLU after it,
// per SphereFace's appendix and insightface's iResNet head) → margin head (head.ts).
import { z } from "zod";
import { type Device, nn, type Tensor } from "../../torch/index.js";
import { type Backbone, type BackboneOptions, createBackbone } from "./backbones.js";
import { checkLossName, type HeadOptions, MarginHead } from "./head.js";

/** The `model:` section of the train and bias-study configs (backbone, width, embedding size). */
export const faceRecModelSchema = z
  .strictObject({
    backbone: z.string().default("resnet18"),
    cifarStem: z.boolean().default(true),
    width: z.number().int().min(1).default(64),
    embeddingDim: z.number().int().min(2).default(512),
  })
  .prefault({});

export interface FaceRecOptions extends BackboneOptions {
  /** Embedding size (seed/insightface: 512). */
  embeddingDim: number;
  numClasses: number;
  loss: string;
  lossParams?: HeadOptions;
}

export class FaceRecNet extends nn.Module<[Tensor], Tensor> {
  readonly backbone: Backbone;
  readonly embedding: nn.Linear;
  readonly bn: nn.BatchNorm1d;
  readonly head: MarginHead;

  constructor(readonly opts: FaceRecOptions) {
    super();
    // Parameters are kept out of scopes, so a constructor that throws half-way must free what it built.
    try {
      checkLossName(opts.loss);
      this.backbone = this.registerModule("backbone", createBackbone(opts));
      this.embedding = this.registerModule("embedding", new nn.Linear(this.backbone.featureDim, opts.embeddingDim));
      this.bn = this.registerModule("bn", new nn.BatchNorm1d(opts.embeddingDim));
      this.head = this.registerModule(
        "head",
        new MarginHead(opts.loss, opts.embeddingDim, opts.numClasses, opts.lossParams),
      );
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Images (N,C,H,W) float → embeddings (N,D). */
  forward(x: Tensor): Tensor {
    return this.bn.call(this.embedding.call(this.backbone.features(x)));
  }

  /** Evaluation logits without margin. */
  logits(embeddings: Tensor): Tensor {
    return this.head.logits(embeddings);
  }

  get device(): Device {
    return this.head.weight.device;
  }
}

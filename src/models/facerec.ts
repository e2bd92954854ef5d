// The face-recognition network: backbone → embedding layer (FC + BatchNorm1d, no ReLU after it,
// per SphereFace's appendix and insightface's iResNet head) → a classification head the caller
// supplies (a margin head of src/losses/heads.ts). State-dict keys: backbone.*, embedding.*, bn.*, head.*.
import { z } from "zod";
import { type Device, nn, type Tensor } from "../torch/index.js";
import { type Backbone, type BackboneOptions, createBackbone } from "./backbones.js";

/** The `model:` section of the train and bias-study configs (backbone, width, embedding size). */
export const faceRecModelSchema = z
  .strictObject({
    backbone: z.string().default("resnet18"),
    cifarStem: z.boolean().default(true),
    width: z.number().int().min(1).default(64),
    /** ResNet blocks per stage, replacing the backbone's own (e.g. [1, 1, 1, 1]) */
    layers: z
      .tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)])
      .optional(),
    embeddingDim: z.number().int().min(2).default(512),
  })
  .prefault({});

export interface FaceRecOptions extends BackboneOptions {
  /** Embedding size (seed/insightface: 512). */
  embeddingDim: number;
}

/** What FaceRecNet needs of its head: margin-free logits for evaluation. */
export interface EmbeddingHead extends nn.AnyModule {
  logits(embeddings: Tensor): Tensor;
}

export class FaceRecNet<H extends EmbeddingHead = EmbeddingHead> extends nn.Module<[Tensor], Tensor> {
  readonly backbone: Backbone;
  readonly embedding: nn.Linear;
  readonly bn: nn.BatchNorm1d;
  readonly head: H;

  constructor(
    readonly opts: FaceRecOptions,
    makeHead: (embeddingDim: number) => H,
  ) {
    super();
    // Parameters are kept out of scopes, so a constructor that throws half-way must free what it built.
    try {
      this.backbone = this.registerModule("backbone", createBackbone(opts));
      this.embedding = this.registerModule("embedding", new nn.Linear(this.backbone.featureDim, opts.embeddingDim));
      this.bn = this.registerModule("bn", new nn.BatchNorm1d(opts.embeddingDim));
      this.head = this.registerModule("head", makeHead(opts.embeddingDim));
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
    return this.embedding.weight.device;
  }
}

// SimCLR (Chen et al. 2020) as a method on the shared pretraining harness (pretrain.ts): encoder f → h,
// projection head g → z, NT-Xent over the 2N views with negatives from every worker.
//
// Data-parallel: NT-Xent takes its negatives from all workers' projections (allGatherWithGrad, so the
// gradient reaching each worker's rows sums every worker's loss terms); the Trainer averages
// gradients, so the loss over the global batch is the single-process loss.
import { ntXentWithLogits } from "../losses/index.js";
import { type Encoder, EncoderWithHead, ProjectionHead } from "../models/heads.js";
import { allGatherWithGrad } from "../torch/distributed/index.js";
import { cat, noGrad, type Tensor } from "../torch/index.js";
import { contrastiveWarnings, type RepresentationStats } from "./monitors.js";
import type { SelfSupervised, SslStep } from "./pretrain.js";
import type { PretrainConfig } from "./simclr-config.js";
import type { StepContext } from "./trainer.js";

/** Encoder f plus projection head g; state-dict keys encoder.* and head.*. */
export class SimclrModel extends EncoderWithHead<ProjectionHead> implements SelfSupervised {
  readonly method = "SimCLR pretraining";

  async sslStep(v1: Tensor, v2: Tensor, ctx: StepContext, cfg: PretrainConfig): Promise<SslStep> {
    const N = ctx.local;
    // One pass (BN sees both views, as in the reference code) under the run's precision; NT-Xent in fp32.
    const z = ctx.autocast(() => this.call(cat([v1, v2]))).float();
    const z1 = z.narrow(0, 0, N);
    const z2 = z.narrow(0, N, N);
    const group = ctx.group;
    const global =
      ctx.world > 1
        ? { z1: await allGatherWithGrad(z1, { group }), z2: await allGatherWithGrad(z2, { group }), offset: ctx.offset }
        : undefined;
    const { loss, logits, targets } = ntXentWithLogits(z1, z2, { temperature: cfg.temperature, global });
    const acc = noGrad(() => logits.argmax(1).eq(targets).float().mean().item());
    return { loss, contrastiveAccuracy: acc, z: [z1, z2] };
  }

  warnings(losses: number[], stats: RepresentationStats | undefined, cfg: PretrainConfig): string[] {
    return contrastiveWarnings(losses, cfg.batchSize, stats, {
      epochsBeforeLossCheck: Math.max(2, Math.ceil(cfg.warmupEpochs) + 1), // LR is still small in warmup
    });
  }
}

/** Builds encoder + projection head from an encoder and the head config. */
export function simclrModel(encoder: Encoder, head: { layers: number; hidden: number; out: number }): SimclrModel {
  const hidden = head.hidden > 0 ? head.hidden : encoder.featureDim;
  return new SimclrModel(
    encoder,
    new ProjectionHead(encoder.featureDim, { layers: head.layers, hidden, out: head.out }),
  );
}

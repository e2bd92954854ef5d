// The SimCLR views and the fine-tuning crop + flip, from the study config onto the batched, seeded
// pipelines of src/data/augment. The method hands them seeds drawn from its per-epoch Rng, so a
// reseeded epoch reproduces its views exactly (the pipeline derives one generator per sample).
import { augment, type SimclrConfig as PipelineConfig, twoViews } from "../data/augment/index.js";
import type { Rng } from "../data/rng.js";
import type { Tensor } from "../torch/index.js";
import type { AugmentConfig } from "./simclr-config.js";

/** The data pipeline's SimCLR config for images of side `size` (output size = input size). */
export function pipelineConfig(a: AugmentConfig, size: number): PipelineConfig {
  return {
    kind: "simclr",
    size,
    scale: a.cropScale,
    ratio: a.cropRatio,
    flipP: a.flipProb,
    jitter: {
      strength: a.jitterStrength,
      p: a.jitterProb,
      ...(a.jitter && { factors: [a.jitter.brightness, a.jitter.contrast, a.jitter.saturation, a.jitter.hue] }),
    },
    grayscaleP: a.grayscaleProb,
    blur: a.blurProb > 0 ? { p: a.blurProb, sigma: [0.1, 2] } : null,
    normalize: null, // [0,1] inputs, as google's code (google#12)
  };
}

/**
 * Two augmented views (N,C,S,S) at the input's side S: of uint8 images (N,H,W,C) (the cache layout,
 * what pretraining passes: the fused CPU kernel) or of a float [0,1] batch (N,C,H,W).
 */
export const simclrViews =
  (a: AugmentConfig) =>
  (x: Tensor, rng: Rng): [Tensor, Tensor] =>
    twoViews(x, pipelineConfig(a, x.dtype === "uint8" ? x.shape[1]! : x.shape[2]!), rng.seed());

/** Crop + flip only, the fine-tuning augmentation of paper B.5. */
export const cropFlip =
  (scale: [number, number]) =>
  (x: Tensor, rng: Rng): Tensor =>
    augment(
      x,
      pipelineConfig(
        {
          cropScale: scale,
          cropRatio: [3 / 4, 4 / 3],
          flipProb: 0.5,
          jitterStrength: 0,
          jitterProb: 0,
          grayscaleProb: 0,
          blurProb: 0,
        },
        x.shape[2]!,
      ),
      { seed: rng.seed() },
    );

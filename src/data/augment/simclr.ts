// The SimCLR pipeline (paper App. A): random resized crop + flip, colour jitter in a random order per
// image with p, grayscale with p, Gaussian blur with p — on a whole batch in a fixed, small number of
// tensor ops whatever the mixture of per-image choices (issue #15):
//   uint8 (N,H,W,C) or float (N,C,H,W) → one grid_sample straight to the output size (both views of
//   an image in one batch, the grid built by broadcasting) → colour: by default ONE batched 3×3
//   product + offset + clamp per image holding its four jitter operations in its own order, its
//   grayscale and the uint8 1/255 (jitter.ts; clamp "each" keeps torchvision's clamp after every
//   operation in ≤ 4 such passes) → the blur's two grouped convolutions on the blurred subset only.
// Profile that led here (32 px, 512 views, 1 thread, contended machine, CPU ms): before — per-op
// subsets for 4 jitter stages × 4 operations and an HSV round trip for hue, ≈285; after — crop 12,
// colour passes 4 × 9 ("each") or 1 × 9 ("once"), JavaScript parameters < 1: 31 ("once").
// On the CPU, uint8 batches with clamp "once" skip all of that: the fused kernel (fused.ts,
// native/src/augment.cpp) makes each view in one pass from the uint8 cache, views in parallel — the
// tensor-op chain reached 1,286 views/s at 96 px on 2 threads and parallelised badly. The tensor ops
// stay the path for CUDA, float inputs and clamp "each".
// Parameters are drawn in JavaScript from one generator per sample (simclrParams), the same for both
// paths, so a sample's view depends only on its seed — not on batch size, order, device or path.
import { callOp, type Tensor, tensor, tidy } from "../../torch/index.js";
import { Rng } from "../rng.js";
import { normalize } from "./color.js";
import { blurKernelSize, gaussianBlur } from "./filters.js";
import { fusedViews, usesFusedKernel } from "./fused.js";
import { type CropBox, cropFlipResize, sampleResizedCrop } from "./geometry.js";
import { applyJitterStages, grayscaleWhere, type ImageJitter, jitterStages } from "./jitter.js";
import type { SimclrConfig } from "./pipelines.js";

/** Per-sample seeds: n drawn from one batch seed. */
export function drawSeeds(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.seed());
}

/**
 * Float (N,C,H,W) images in [0,1] for the pipeline, and the factor that brings them to [0,1]:
 * uint8 (N,H,W,C) (the cache layout) is converted without a layout copy (channels-last strides,
 * which grid_sample reads directly) and its 1/255 is applied later, inside the first jitter stage.
 * `copies` > 1 repeats the batch (both SimCLR views) in the same conversion.
 */
export function pipelineInput(x: Tensor, copies = 1): { x: Tensor; scale: number } {
  if (x.ndim !== 4) throw new RangeError(`augment expects a 4-D image batch but received shape [${x.shape}]`);
  const [N, a, b, c] = x.shape as [number, number, number, number];
  if (x.dtype === "uint8") {
    const f =
      copies === 1
        ? x.float()
        : x
            .unsqueeze(0)
            .expand(copies, N, a, b, c)
            .float()
            .view(copies * N, a, b, c);
    return { x: f.permute(0, 3, 1, 2), scale: 1 / 255 };
  }
  if (x.dtype !== "float32" && x.dtype !== "float64")
    throw new TypeError(`augment expects float images in [0,1] (N,C,H,W) or uint8 (N,H,W,C), got ${x.dtype}`);
  return {
    x:
      copies === 1
        ? x
        : x
            .unsqueeze(0)
            .expand(copies, N, a, b, c)
            .reshape(copies * N, a, b, c),
    scale: 1,
  };
}

/** One sample's SimCLR parameters, drawn from its seed (simclrParams). */
export interface SimclrSample extends ImageJitter {
  box: CropBox;
  flip: boolean;
  gray: boolean;
  blur: boolean;
  sigma: number;
}

/**
 * Every parameter of every sample, drawn up front in a fixed order per sample from its own seed —
 * the one source of parameters for both the tensor-op path and the fused kernel (fused.ts), so a
 * sample's view depends only on its seed and not on which path made it.
 */
export function simclrParams(seeds: readonly number[], cfg: SimclrConfig, H: number, W: number): SimclrSample[] {
  const s = cfg.jitter.strength;
  const [jb, jc, js, jh] = cfg.jitter.factors ?? [0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s];
  const range = (r: Rng, d: number) => r.uniform(Math.max(0, 1 - d), 1 + d);
  return seeds.map((seed) => {
    const r = new Rng(seed);
    return {
      box: sampleResizedCrop(r, H, W, cfg.scale, cfg.ratio),
      flip: r.bernoulli(cfg.flipP),
      on: r.bernoulli(cfg.jitter.p),
      factors: [range(r, jb), range(r, jc), range(r, js), r.uniform(-jh, jh)],
      order: r.permutation(4),
      gray: r.bernoulli(cfg.grayscaleP),
      blur: r.bernoulli(cfg.blur?.p ?? 0),
      sigma: r.uniform(cfg.blur?.sigma[0] ?? 0.1, cfg.blur?.sigma[1] ?? 2),
    };
  });
}

/** SimCLR views of x (after pipelineInput) with one seed per sample, as batched tensor ops (any device). */
export function simclrBatch(x: Tensor, scale: number, cfg: SimclrConfig, seeds: readonly number[]): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (seeds.length !== N) throw new RangeError(`augment: ${N} images but ${seeds.length} seeds`);
  const p = simclrParams(seeds, cfg, H, W);
  return tidy(() => {
    const crop = cropFlipResize(
      x,
      p.map((q) => q.box),
      p.map((q) => q.flip),
      cfg.size,
      cfg.size,
    );
    const gray = p.map((q) => q.gray);
    let y: Tensor;
    if ((cfg.jitter.clamp ?? "once") === "once") y = applyJitterStages(crop, jitterStages(p, C, "once", gray), scale);
    else y = grayscaleWhere(applyJitterStages(crop, jitterStages(p, C, "each"), scale), gray);
    const blurred = p.flatMap((q, i) => (q.blur ? [i] : []));
    if (cfg.blur && blurred.length > 0) {
      // only the blurred images (p = 0.5) go through the convolutions
      const kernel = cfg.blur.kernel ?? blurKernelSize(cfg.size);
      const sigmas = blurred.map((i) => p[i]?.sigma as number);
      if (blurred.length === N) y = gaussianBlur(y, sigmas, kernel);
      else {
        const idx = tensor(blurred, { dtype: "int64", device: y.device });
        y = callOp<Tensor>("index_copy", y, 0, idx, gaussianBlur(y.indexSelect(0, idx), sigmas, kernel));
      }
    }
    return cfg.normalize ? normalize(y, cfg.normalize.mean, cfg.normalize.std) : y;
  });
}

/**
 * Both SimCLR views of every image as one batch (2N, C, size, size): rows 0..N−1 are view 1 and
 * N..2N−1 view 2, each view's per-sample seeds drawn from its own seed of Rng(seed) (twoViews' split).
 */
export function simclrViewBatch(x: Tensor, cfg: SimclrConfig, seed: number): Tensor {
  const r = new Rng(seed);
  const s1 = r.seed();
  const s2 = r.seed();
  const N = x.ndim === 4 ? x.size(0) : 0;
  const seeds = [...drawSeeds(N, s1), ...drawSeeds(N, s2)];
  if (usesFusedKernel(x, cfg)) {
    const source = Array.from({ length: 2 * N }, (_, i) => i % N);
    return viaKernel(x, source, cfg, seeds);
  }
  return tidy(() => {
    const { x: input, scale } = pipelineInput(x, 2);
    return simclrBatch(input, scale, cfg, seeds);
  });
}

/**
 * SimCLR views of a batch (one seed per sample) by whichever path applies: the fused CPU kernel for
 * uint8 CPU images with clamp "once", batched tensor ops otherwise. pipelines.ts `augment` uses it.
 */
export function simclrAugment(x: Tensor, cfg: SimclrConfig, seeds: readonly number[]): Tensor {
  if (usesFusedKernel(x, cfg))
    return viaKernel(
      x,
      seeds.map((_, i) => i),
      cfg,
      seeds,
    );
  return tidy(() => {
    const { x: input, scale } = pipelineInput(x);
    return simclrBatch(input, scale, cfg, seeds);
  });
}

/** The fused kernel's views (fused.ts) of uint8 CPU images; a non-contiguous batch is copied first. */
function viaKernel(x: Tensor, source: number[], cfg: SimclrConfig, seeds: readonly number[]): Tensor {
  const params = simclrParams(seeds, cfg, x.size(1), x.size(2));
  return tidy(() => fusedViews(x.isContiguous() ? x : x.contiguous(), source, params, cfg));
}

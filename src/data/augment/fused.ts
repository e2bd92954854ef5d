// The SimCLR view pipeline as one native CPU kernel, facelab::simclr_views (native/src/augment.cpp):
// crop + flip + resize straight from the uint8 (N,H,W,C) cache, the per-view colour map (jitter and
// grayscale composed by jitter.ts, clamp "once") and the optional Gaussian blur, in one pass per view,
// views in parallel. The batched tensor-op chain it replaces on the CPU (simclr.ts simclrBatch) ran at
// 1,286 views/s at 96 px on 2 threads, 1.54× torchvision's 2-worker DataLoader against issue #15's
// 3× (bench/README.md "Augmentation and the SimCLR step"). The parameters are the same simclrParams
// draws, so both paths give the same views of a seed (test/data/augment/fused.test.ts states how close).
import { callOp, fromTypedArray, type Tensor, tidy } from "../../torch/index.js";
import { normalize } from "./color.js";
import { blurApplies, blurKernelSize, blurTaps } from "./filters.js";
import { jitterStages } from "./jitter.js";
import type { SimclrConfig } from "./pipelines.js";
import type { SimclrSample } from "./simclr.js";

/**
 * Whether the fused kernel makes these views: uint8 (N,H,W,C) images with 1 or 3 channels on the CPU
 * and the default clamp "once" (the kernel has one clamp per view). CUDA, float inputs and clamp
 * "each" take the tensor-op path.
 */
export function usesFusedKernel(x: Tensor, cfg: SimclrConfig): boolean {
  const C = x.ndim === 4 ? x.size(3) : 0;
  return x.dtype === "uint8" && x.device === "cpu" && (C === 1 || C === 3) && (cfg.jitter.clamp ?? "once") === "once";
}

const fail = (what: string): never => {
  throw new RangeError(`fusedViews: ${what}`);
};

/**
 * V views (V,C,size,size) float in [0,1] (then cfg.normalize) of uint8 images (N,H,W,C): view v is
 * cropped from image source[v] with params[v]. Every argument is checked here, before it crosses.
 */
export function fusedViews(
  images: Tensor,
  source: readonly number[],
  params: readonly SimclrSample[],
  cfg: SimclrConfig,
): Tensor {
  if (images.ndim !== 4 || images.dtype !== "uint8")
    throw new TypeError(`fusedViews expects uint8 images (N,H,W,C), got ${images.dtype} [${images.shape.join(",")}]`);
  const [N, , , C] = images.shape as [number, number, number, number];
  if (C !== 1 && C !== 3) fail(`images need 1 or 3 channels (N,H,W,C), got shape [${images.shape.join(",")}]`);
  if (images.device !== "cpu") fail(`the fused kernel runs on the CPU; images are on ${images.device}`);
  if (!images.isContiguous()) fail("images must be contiguous (call .contiguous())");
  const V = source.length;
  if (params.length !== V) fail(`${V} source indices but ${params.length} parameter sets`);
  source.forEach((s, v) => {
    if (!Number.isInteger(s) || s < 0 || s >= N) fail(`source[${v}] = ${s} is not an image index in [0, ${N})`);
  });
  const S = cfg.size;
  if (!Number.isInteger(S) || S < 1) fail(`cfg.size must be a positive integer, got ${S}`);
  const kernel = cfg.blur ? (cfg.blur.kernel ?? blurKernelSize(S)) : 0;
  if (cfg.blur && kernel % 2 !== 1) fail(`cfg.blur.kernel must be odd, got ${kernel}`);

  const boxes = new Float64Array(V * 4);
  const flips = new Uint8Array(V);
  const blurred = new Uint8Array(V);
  params.forEach((q, v) => {
    boxes.set([q.box.x, q.box.y, q.box.w, q.box.h], v * 4);
    flips[v] = q.flip ? 1 : 0;
    blurred[v] = q.blur ? 1 : 0;
  });
  // jitter and grayscale as one affine map per view; no stage means identity everywhere
  const CC = C * C;
  const [stage] = jitterStages(
    params,
    C,
    "once",
    params.map((q) => q.gray),
  );
  const matrices = stage?.matrices ?? new Float32Array(V * CC);
  if (!stage) for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) matrices[v * CC + c * (C + 1)] = 1;
  const offsets = stage?.offsets ?? new Float32Array(V * CC);
  const K = cfg.blur && blurApplies(kernel, S, S) && blurred.some(Boolean) ? kernel : 0;
  const taps =
    K > 0
      ? blurTaps(
          params.map((q) => q.sigma),
          K,
        )
      : new Float32Array(0);

  return tidy(() => {
    const y = callOp<Tensor>(
      "facelab::simclr_views",
      images,
      fromTypedArray(BigInt64Array.from(source, BigInt), [V]),
      fromTypedArray(boxes, [V, 4]),
      fromTypedArray(flips, [V], { dtype: "bool" }),
      fromTypedArray(matrices, [V, C, C]),
      fromTypedArray(offsets, [V, C, C]),
      1 / 255,
      fromTypedArray(taps, [V, K]),
      fromTypedArray(blurred, [V], { dtype: "bool" }),
      S,
    );
    return cfg.normalize ? normalize(y, cfg.normalize.mean, cfg.normalize.std) : y;
  });
}

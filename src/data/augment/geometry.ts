// Geometric augmentation as one batched resampling: random resized crop + horizontal flip become a
// per-sample affine matrix, applied with affine_grid + grid_sample (kornia's approach), and
// downscale-then-upscale becomes a per-sample snapped sampling grid.
import { arange, F, stack, type Tensor, tensor } from "../../torch/index.js";
import type { Rng } from "../rng.js";

/** A crop box in input pixels (left, top, width, height). */
export interface CropBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries of an area fraction in `scale` and a
 * log-uniform aspect ratio in `ratio`; if none fits, a centre crop with the ratio clamped.
 */
export function sampleResizedCrop(
  rng: Rng,
  H: number,
  W: number,
  scale: [number, number],
  ratio: [number, number],
): CropBox {
  const area = H * W;
  const [lr0, lr1] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(lr0, lr1));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) return { x: rng.int(0, W - w + 1), y: rng.int(0, H - h + 1), w, h };
  }
  const inRatio = W / H;
  let w = W;
  let h = H;
  if (inRatio < ratio[0]) h = Math.round(W / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(H * ratio[1]);
  return { x: Math.floor((W - w) / 2), y: Math.floor((H - h) / 2), w, h };
}

/**
 * Crops each sample to its box, optionally mirrors it, and resizes to outH×outW in one bilinear
 * grid_sample. With align_corners=false an output pixel centre maps to the matching point of the
 * box, so a full-image box without flip returns the input unchanged. The sampling grid is affine
 * without rotation, so it is built from one row of x and one column of y per sample (broadcast)
 * rather than by affine_grid's (N·outH·outW × 3) × (3 × 2) product, which cost as much as the sampling.
 */
export function cropFlipResize(x: Tensor, boxes: CropBox[], flips: boolean[], outH: number, outW: number): Tensor {
  const [N, , H, W] = x.shape as [number, number, number, number];
  if (boxes.length !== N || flips.length !== N)
    throw new RangeError(`cropFlipResize: ${N} images but ${boxes.length} boxes and ${flips.length} flips`);
  // normalised x of output column j: sx·((2j+1)/outW − 1) + tx, likewise y (affine_grid's theta rows)
  const gx = new Float32Array(N * outW);
  const gy = new Float32Array(N * outH);
  boxes.forEach((b, i) => {
    const sx = (b.w / W) * (flips[i] ? -1 : 1);
    const tx = (2 * b.x + b.w) / W - 1;
    const sy = b.h / H;
    const ty = (2 * b.y + b.h) / H - 1;
    for (let j = 0; j < outW; j++) gx[i * outW + j] = sx * ((2 * j + 1) / outW - 1) + tx;
    for (let j = 0; j < outH; j++) gy[i * outH + j] = sy * ((2 * j + 1) / outH - 1) + ty;
  });
  const grid = stack(
    [
      tensor(gx, { shape: [N, 1, outW], device: x.device }).expand(N, outH, outW),
      tensor(gy, { shape: [N, outH, 1], device: x.device }).expand(N, outH, outW),
    ],
    3,
  );
  return F.gridSample(x, grid, { mode: "bilinear", paddingMode: "border", alignCorners: false });
}

/**
 * Downscale by factor f then upscale back (albumentations Downscale): each output pixel takes the
 * value of its low-resolution cell, sampled at the cell centre. Factors are per sample (1 = keep).
 */
export function downUpscale(x: Tensor, factors: number[]): Tensor {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const cells = (side: number) =>
    tensor(
      factors.map((f) => Math.max(1, Math.round(side * f))),
      { device: x.device },
    ).view(N, 1);
  const coord = (side: number) => {
    const L = cells(side);
    const pos = arange(0, side, 1, { dtype: "float32", device: x.device }).add(0.5).view(1, side);
    const cell = pos.mul(L).div(side).floor(); // low-res cell of each output pixel
    return cell.add(0.5).div(L).mul(2).sub(1); // its centre in normalised input coordinates
  };
  const gx = coord(W).view(N, 1, W).expand(N, H, W);
  const gy = coord(H).view(N, H, 1).expand(N, H, W);
  return F.gridSample(x, stack([gx, gy], 3), { mode: "bilinear", paddingMode: "border", alignCorners: false });
}

/** Resize (bilinear) then centre crop a fraction of the side: the deterministic eval transform. */
export function resizeCenterCrop(x: Tensor, size: number, cropFraction = 1): Tensor {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const side = Math.min(H, W) * cropFraction;
  const box = { x: (W - side) / 2, y: (H - side) / 2, w: side, h: side };
  if (H === size && W === size && cropFraction === 1) return x.alias();
  return cropFlipResize(x, new Array(N).fill(box), new Array(N).fill(false), size, size);
}

// The two augmentation pipelines, batched and seeded. Parameters are drawn in JavaScript from one
// generator per sample (seeded from the batch seed, or given per sample), so a sample's views
// depend only on its seed — not on batch size, order or device. Pixels are then transformed in a
// few batched tensor ops on whatever device the batch lives on.
import { callOp, type Tensor, tensor, tidy } from "../../torch/index.js";
import { Rng } from "../rng.js";
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, normalize } from "./color.js";
import { coarseDropout, gaussianBlur, gaussianNoise, type Hole } from "./filters.js";
import { type CropBox, cropFlipResize, downUpscale, resizeCenterCrop, sampleResizedCrop } from "./geometry.js";
import type { JitterClamp } from "./jitter.js";
import { simclrAugment, simclrViewBatch } from "./simclr.js";

export interface Normalization {
  mean: number[];
  std: number[];
}

interface CropConfig {
  /** output side */
  size: number;
  /** area fraction range of the random resized crop */
  scale: [number, number];
  /** aspect ratio range */
  ratio: [number, number];
  flipP: number;
}

export interface SimclrConfig extends CropConfig {
  kind: "simclr";
  /**
   * colour jitter strength s: brightness/contrast/saturation 0.8s, hue 0.2s, applied with p;
   * `factors` (torchvision ColorJitter's brightness, contrast, saturation, hue) replaces them
   */
  jitter: {
    strength: number;
    p: number;
    factors?: [number, number, number, number];
    /**
     * "once" (default): each image's jitter and grayscale composed into one affine map and one clamp
     * (one pass, mean |Δ| 0.006 to torchvision at strength 0.5); "each": clamp after every
     * operation exactly as torchvision (up to 4 passes). jitter.ts has the measurements.
     */
    clamp?: JitterClamp;
  };
  grayscaleP: number;
  /** kernel defaults to 10% of the output side (odd) */
  blur: { p: number; sigma: [number, number]; kernel?: number } | null;
  normalize: Normalization | null;
}

export interface FaceConfig extends CropConfig {
  kind: "face";
  blur: { p: number; sigma: [number, number] } | null;
  downscale: { p: number; range: [number, number] } | null;
  /** holes per image and hole side as a fraction of the image side */
  dropout: { p: number; holes: [number, number]; size: [number, number]; fill: number } | null;
  brightnessContrast: { p: number; brightness: number; contrast: number } | null;
  hueSaturation: { p: number; hue: number; saturation: number } | null;
  /** noise standard deviation range on the [0,1] scale */
  noise: { p: number; std: [number, number] } | null;
  normalize: Normalization | null;
}

export type AugmentConfig = SimclrConfig | FaceConfig;

/**
 * SimCLR for CIFAR-sized images (paper App. B.9, reference/simclr.md §3): Inception crop with
 * area 0.08–1 and aspect 3/4–4/3, flip 0.5, colour jitter strength 0.5 with p=0.8, grayscale
 * p=0.2, no blur, inputs kept in [0,1].
 */
export function simclrCifar(size = 32): SimclrConfig {
  return {
    kind: "simclr",
    size,
    scale: [0.08, 1],
    ratio: [3 / 4, 4 / 3],
    flipP: 0.5,
    jitter: { strength: 0.5, p: 0.8 },
    grayscaleP: 0.2,
    blur: null,
    normalize: null,
  };
}

/**
 * SimCLR for larger images (paper App. A, ImageNet): strength 1.0 (Table 1's best without blur)
 * and Gaussian blur with p=0.5, sigma U[0.1, 2.0], kernel 10% of the side.
 */
export function simclrLarge(size = 96): SimclrConfig {
  return { ...simclrCifar(size), jitter: { strength: 1, p: 0.8 }, blur: { p: 0.5, sigma: [0.1, 2] } };
}

/**
 * The face study's albumentations list (seed, Data §3.1): resize/crop to 100×100, horizontal flip,
 * blur, downscale, coarse dropout, colour changes, noise. Probabilities and limits follow
 * albumentations' defaults where it has them (CoarseDropout up to 8 holes of ~8 px at 100 px,
 * Downscale to 0.25–0.5, GaussNoise variance 10–50 on the 0–255 scale → std 0.012–0.028).
 */
export function faceStudy(size = 100): FaceConfig {
  return {
    kind: "face",
    size,
    scale: [0.8, 1],
    ratio: [0.9, 1.1],
    flipP: 0.5,
    blur: { p: 0.3, sigma: [0.3, 1.2] },
    downscale: { p: 0.25, range: [0.25, 0.5] },
    dropout: { p: 0.5, holes: [1, 8], size: [0.05, 0.1], fill: 0 },
    brightnessContrast: { p: 0.5, brightness: 0.2, contrast: 0.2 },
    hueSaturation: { p: 0.5, hue: 0.05, saturation: 0.2 },
    noise: { p: 0.5, std: [Math.sqrt(10) / 255, Math.sqrt(50) / 255] },
    normalize: null,
  };
}

export const PRESETS = { "simclr-cifar": simclrCifar, "simclr-large": simclrLarge, face: faceStudy } as const;

/** Either a batch seed (per-sample seeds drawn from it) or one seed per sample. */
export type SeedSpec = { seed: number } | { seeds: number[] };

function sampleSeeds(n: number, s: SeedSpec): number[] {
  if ("seeds" in s) {
    if (s.seeds.length !== n) throw new RangeError(`augment: ${n} images but ${s.seeds.length} seeds`);
    return s.seeds;
  }
  const rng = new Rng(s.seed);
  return Array.from({ length: n }, () => rng.seed());
}

/** Applies fn to the samples where on[i] is true and writes them back (index_select/index_copy). */
function onSubset(x: Tensor, on: boolean[], fn: (sub: Tensor, idx: number[]) => Tensor): Tensor {
  const idx = on.flatMap((b, i) => (b ? [i] : []));
  if (idx.length === 0) return x;
  if (idx.length === on.length) return fn(x, idx);
  const it = tensor(idx, { dtype: "int64", device: x.device });
  return callOp<Tensor>("index_copy", x, 0, it, fn(x.indexSelect(0, it), idx));
}

const col = (vals: number[], idx: number[], x: Tensor) =>
  tensor(
    idx.map((i) => vals[i] as number),
    { device: x.device },
  ).view(idx.length, 1, 1, 1);

function checkInput(x: Tensor): [number, number, number, number] {
  if (x.ndim !== 4)
    throw new RangeError(`augment expects float images (N,C,H,W) but received shape [${x.shape.join(",")}]`);
  if (x.dtype !== "float32" && x.dtype !== "float64")
    throw new TypeError(`augment expects float images in [0,1], got ${x.dtype}; convert with toFloatImages()`);
  return x.shape as [number, number, number, number];
}

/**
 * Augments a batch of float images in [0,1] (N,C,H,W) → (N,C,size,size). The SimCLR pipeline also
 * takes the uint8 cache layout (N,H,W,C) directly (simclr.ts).
 */
export function augment(x: Tensor, cfg: AugmentConfig, seeds: SeedSpec): Tensor {
  if (cfg.kind === "simclr") {
    const N = x.ndim === 4 ? x.size(0) : 0;
    return simclrAugment(x, cfg, sampleSeeds(N, seeds));
  }
  const [N, , H, W] = checkInput(x);
  const rngs = sampleSeeds(N, seeds).map((s) => new Rng(s));
  return tidy(() => face(x, cfg, rngs, H, W));
}

function face(x: Tensor, cfg: FaceConfig, rngs: Rng[], H: number, W: number): Tensor {
  const S = cfg.size;
  const p = rngs.map((r) => {
    const box: CropBox = sampleResizedCrop(r, H, W, cfg.scale, cfg.ratio);
    const flip = r.bernoulli(cfg.flipP);
    const blur = r.bernoulli(cfg.blur?.p ?? 0);
    const sigma = r.uniform(cfg.blur?.sigma[0] ?? 0.5, cfg.blur?.sigma[1] ?? 1);
    const down = r.bernoulli(cfg.downscale?.p ?? 0);
    const factor = r.uniform(cfg.downscale?.range[0] ?? 1, cfg.downscale?.range[1] ?? 1);
    const holes: Hole[] = [];
    if (cfg.dropout && r.bernoulli(cfg.dropout.p)) {
      const n = r.int(cfg.dropout.holes[0], cfg.dropout.holes[1] + 1);
      for (let k = 0; k < n; k++) {
        const hh = Math.max(1, Math.round(S * r.uniform(cfg.dropout.size[0], cfg.dropout.size[1])));
        const ww = Math.max(1, Math.round(S * r.uniform(cfg.dropout.size[0], cfg.dropout.size[1])));
        const y0 = r.int(0, S - hh + 1);
        const x0 = r.int(0, S - ww + 1);
        holes.push({ y0, y1: y0 + hh, x0, x1: x0 + ww });
      }
    }
    const bc = cfg.brightnessContrast;
    const bcOn = r.bernoulli(bc?.p ?? 0);
    const bright = 1 + r.uniform(-(bc?.brightness ?? 0), bc?.brightness ?? 0);
    const contrast = 1 + r.uniform(-(bc?.contrast ?? 0), bc?.contrast ?? 0);
    const hs = cfg.hueSaturation;
    const hsOn = r.bernoulli(hs?.p ?? 0);
    const hue = r.uniform(-(hs?.hue ?? 0), hs?.hue ?? 0);
    const sat = 1 + r.uniform(-(hs?.saturation ?? 0), hs?.saturation ?? 0);
    const noise = r.bernoulli(cfg.noise?.p ?? 0);
    const std = r.uniform(cfg.noise?.std[0] ?? 0, cfg.noise?.std[1] ?? 0);
    return {
      box,
      flip,
      blur,
      sigma,
      down,
      factor,
      holes,
      bcOn,
      bright,
      contrast,
      hsOn,
      hue,
      sat,
      noise,
      std,
      seed: r.seed(),
    };
  });
  let y = cropFlipResize(
    x,
    p.map((q) => q.box),
    p.map((q) => q.flip),
    S,
    S,
  );
  const pick = <T>(f: (q: (typeof p)[number]) => T) => p.map(f);
  const blurCfg = cfg.blur;
  if (blurCfg)
    y = onSubset(
      y,
      pick((q) => q.blur),
      (sub, idx) =>
        gaussianBlur(
          sub,
          idx.map((i) => p[i]?.sigma as number),
          faceBlurKernel(blurCfg),
        ),
    );
  if (cfg.downscale)
    y = onSubset(
      y,
      pick((q) => q.down),
      (sub, idx) =>
        downUpscale(
          sub,
          idx.map((i) => p[i]?.factor as number),
        ),
    );
  if (cfg.dropout)
    y = coarseDropout(
      y,
      pick((q) => q.holes),
      cfg.dropout.fill,
    );
  if (cfg.brightnessContrast)
    y = onSubset(
      y,
      pick((q) => q.bcOn),
      (sub, idx) =>
        adjustContrast(
          adjustBrightness(
            sub,
            col(
              pick((q) => q.bright),
              idx,
              sub,
            ),
          ),
          col(
            pick((q) => q.contrast),
            idx,
            sub,
          ),
        ),
    );
  if (cfg.hueSaturation)
    y = onSubset(
      y,
      pick((q) => q.hsOn),
      (sub, idx) =>
        adjustSaturation(
          adjustHue(
            sub,
            col(
              pick((q) => q.hue),
              idx,
              sub,
            ),
          ),
          col(
            pick((q) => q.sat),
            idx,
            sub,
          ),
        ),
    );
  if (cfg.noise)
    y = onSubset(
      y,
      pick((q) => q.noise),
      (sub, idx) =>
        gaussianNoise(
          sub,
          idx.map((i) => p[i]?.seed as number),
          idx.map((i) => p[i]?.std as number),
        ),
    );
  return cfg.normalize ? normalize(y, cfg.normalize.mean, cfg.normalize.std) : y;
}

/** Face blur kernel: ±3 sigma of the largest sigma, odd. */
const faceBlurKernel = (b: { sigma: [number, number] }) => 2 * Math.ceil(3 * b.sigma[1]) + 1;

/**
 * Two independent views of each image for contrastive learning (SimCLR's x̃_i, x̃_j). The SimCLR
 * pipeline makes both in one batch (simclrViewBatch); these are its two halves.
 */
export function twoViews(x: Tensor, cfg: AugmentConfig, seed: number): [Tensor, Tensor] {
  if (cfg.kind === "simclr") {
    const N = x.size(0);
    return tidy(() => {
      const both = simclrViewBatch(x, cfg, seed);
      return [both.narrow(0, 0, N), both.narrow(0, N, N)] as [Tensor, Tensor];
    });
  }
  const r = new Rng(seed);
  const s1 = r.seed();
  const s2 = r.seed();
  return [augment(x, cfg, { seed: s1 }), augment(x, cfg, { seed: s2 })];
}

/** The deterministic eval transform: resize, centre crop (fraction of the side), normalise. */
export function evalTransform(
  x: Tensor,
  o: { size: number; cropFraction?: number; normalize?: Normalization | null },
): Tensor {
  checkInput(x);
  return tidy(() => {
    const y = resizeCenterCrop(x, o.size, o.cropFraction ?? 1);
    return o.normalize ? normalize(y, o.normalize.mean, o.normalize.std) : y;
  });
}

/** uint8 images N×H×W×C (the cache layout) → float (N,C,H,W) in [0,1] on the same device. */
export function toFloatImages(u8: Tensor): Tensor {
  if (u8.ndim !== 4 || u8.dtype !== "uint8")
    throw new TypeError(`toFloatImages expects uint8 (N,H,W,C), got ${u8.dtype} [${u8.shape.join(",")}]`);
  return tidy(() => u8.permute(0, 3, 1, 2).float().div(255).contiguous());
}

/** Grayscale (N,1,H,W) → (N,3,H,W) by repeating the channel (Fashion-MNIST into an RGB model). */
export function toRgb(x: Tensor): Tensor {
  if (x.ndim !== 4 || (x.size(1) !== 1 && x.size(1) !== 3))
    throw new RangeError(`toRgb expects (N,1,H,W) or (N,3,H,W), got [${x.shape.join(",")}]`);
  return x.size(1) === 3 ? x.alias() : x.expand(x.size(0), 3, x.size(2), x.size(3)).contiguous();
}

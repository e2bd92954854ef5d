// The SimCLR augmentation as two independent draws over a batch (App. A of the paper): random resized
// crop + flip, colour jitter (brightness, contrast, saturation, hue with strength s: 0.8s, 0.8s, 0.8s,
// 0.2s) applied with probability p, random grayscale, optional Gaussian blur σ∈[0.1, 2]. Composed from
// the batched primitives in src/data/augment; every random number comes from the given Rng, so a
// reseeded epoch reproduces its views exactly. Also the crop + flip used for fine-tuning (paper B.5).
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  randomGrayscale,
} from "../data/augment/color.js";
import { blurKernelSize, gaussianBlur } from "../data/augment/filters.js";
import { cropFlipResize, sampleResizedCrop } from "../data/augment/geometry.js";
import type { Rng } from "../data/rng.js";
import { type Tensor, tensor, tidy } from "../torch/index.js";
import type { AugmentConfig } from "./simclr-config.js";

const RATIO: [number, number] = [3 / 4, 4 / 3];

const perSample = (values: number[], device: Tensor["device"]) =>
  tensor(values, { device }).view(values.length, 1, 1, 1);

/** Random resized crop (area in `scale`) + horizontal flip, back to the input size. */
export function cropFlip(x: Tensor, rng: Rng, scale: [number, number], flipProb: number): Tensor {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const boxes = Array.from({ length: N }, () => sampleResizedCrop(rng, H, W, scale, RATIO));
  const flips = Array.from({ length: N }, () => rng.bernoulli(flipProb));
  return cropFlipResize(x, boxes, flips, H, W);
}

/** One SimCLR view of a float [0,1] batch (N,C,H,W). */
export function simclrView(x: Tensor, rng: Rng, a: AugmentConfig): Tensor {
  return tidy(() => {
    const N = x.shape[0]!;
    let v = cropFlip(x, rng, a.cropScale, a.flipProb);
    if (a.jitterStrength > 0 && a.jitterProb > 0) {
      const s = a.jitterStrength;
      // Per sample: jitter on/off; off = factor 1 (brightness/contrast/saturation) and hue shift 0.
      const on = Array.from({ length: N }, () => rng.bernoulli(a.jitterProb));
      const f = (k: number) => on.map((o) => (o ? rng.uniform(Math.max(0, 1 - k), 1 + k) : 1));
      const b = f(0.8 * s);
      const c = f(0.8 * s);
      const sat = f(0.8 * s);
      const hue = on.map((o) => (o ? rng.uniform(-0.2 * s, 0.2 * s) : 0));
      v = adjustBrightness(v, perSample(b, x.device));
      v = adjustContrast(v, perSample(c, x.device));
      if (v.shape[1] === 3) {
        v = adjustSaturation(v, perSample(sat, x.device));
        v = adjustHue(v, perSample(hue, x.device));
      }
    }
    if (a.grayscaleProb > 0 && v.shape[1] === 3) {
      const m = Array.from({ length: N }, () => (rng.bernoulli(a.grayscaleProb) ? 1 : 0));
      v = randomGrayscale(v, perSample(m, x.device));
    }
    if (a.blurProb > 0) {
      const k = blurKernelSize(v.shape[2]!);
      const sig = Array.from({ length: N }, () => (rng.bernoulli(a.blurProb) ? rng.uniform(0.1, 2) : 0.01));
      if (k >= 3) v = gaussianBlur(v, sig, k);
    }
    return v;
  });
}

/** The pair of views SimCLR contrasts. */
export const simclrViews =
  (a: AugmentConfig) =>
  (x: Tensor, rng: Rng): [Tensor, Tensor] => [simclrView(x, rng, a), simclrView(x, rng, a)];

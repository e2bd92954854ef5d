// Batched colour operations on float images (N,C,H,W) in [0,1], each with a per-sample factor
// tensor shaped (N,1,1,1). Semantics follow torchvision's functional colour ops: every op clamps
// to [0,1]; grayscale uses ITU-R 601 luma weights (0.2989, 0.587, 0.114).
import { minimum, type Tensor, tensor, where } from "../../torch/index.js";

const LUMA = [0.2989, 0.587, 0.114] as const;

/** Luma (N,1,H,W); a 1-channel image is its own luma. */
export function grayscaleOf(x: Tensor): Tensor {
  if (x.size(1) === 1) return x.alias();
  const w = tensor([...LUMA], { device: x.device, dtype: x.dtype }).view(1, 3, 1, 1);
  return x.mul(w).sum(1, true);
}

/** Blend toward other by factor: f·x + (1−f)·other, clamped (torchvision's _blend). */
function blend(x: Tensor, other: Tensor, f: Tensor): Tensor {
  return other.add(x.sub(other).mul(f)).clamp(0, 1);
}

export function adjustBrightness(x: Tensor, f: Tensor): Tensor {
  return x.mul(f).clamp(0, 1);
}

/** Contrast: blend with the mean luma of each image. */
export function adjustContrast(x: Tensor, f: Tensor): Tensor {
  const mean = grayscaleOf(x).mean([1, 2, 3], true);
  return blend(x, mean, f);
}

/** Saturation: blend with the per-pixel luma. */
export function adjustSaturation(x: Tensor, f: Tensor): Tensor {
  if (x.size(1) === 1) return x.alias();
  return blend(x, grayscaleOf(x), f);
}

/** Hue: rotate the HSV hue by shift (fraction of a turn, torchvision's range [-0.5, 0.5]). */
export function adjustHue(x: Tensor, shift: Tensor): Tensor {
  if (x.size(1) === 1) return x.alias();
  const [h, , v, c] = hsvParts(x);
  return hueToRgb(frac(h.add(shift)), v, c);
}

/** Each (N,1,H,W): hue in [0,1), saturation, value (torchvision's _rgb2hsv conventions). */
export function rgbToHsv(x: Tensor): [Tensor, Tensor, Tensor] {
  const [h, s, v] = hsvParts(x);
  return [h, s, v];
}

/** Hue, saturation, value and chroma. Hue via the max channel c: ((x[c+1] − x[c+2]) / chroma + 2c) / 6. */
function hsvParts(x: Tensor): [Tensor, Tensor, Tensor, Tensor] {
  const v = x.amax(1, true);
  const c = v.sub(x.amin(1, true));
  const d = x.roll(-1, 1).sub(x.roll(-2, 1)); // (g−b, b−r, r−g)
  const off = tensor([0, 2, 4], { device: x.device, dtype: x.dtype }).view(1, 3, 1, 1);
  const [hr, hg, hb] = d
    .div(where(c.eq(0), 1, c))
    .add(off)
    .split(1, 1) as [Tensor, Tensor, Tensor];
  // the max channel decides, red before green before blue on ties (torchvision's order)
  const isR = x.narrow(1, 0, 1).eq(v);
  const isG = x.narrow(1, 1, 1).eq(v);
  const h = frac(where(isR, hr, where(isG, hg, hb)).div(6));
  const s = c.div(where(v.eq(0), 1, v));
  return [where(c.eq(0), 0, h), s, v, c];
}

/** x mod 1 for floats (cheaper than remainder's fmod). */
const frac = (x: Tensor): Tensor => x.sub(x.floor());

/** RGB from hue, value and chroma: channel n = v − c·clamp(min(k, 4−k), 0, 1), k = (n' + 6h) mod 6, n' = 5, 3, 1. */
function hueToRgb(h: Tensor, v: Tensor, c: Tensor): Tensor {
  const off = tensor([5, 3, 1], { device: h.device, dtype: h.dtype }).view(1, 3, 1, 1);
  const k6 = h.mul(6).add(off);
  const k = k6.sub(k6.div(6).floor().mul(6)); // mod 6
  const t = minimum(k, k.rsub(4)).clamp(0, 1);
  return v.sub(c.mul(t)).clamp(0, 1);
}

/** hsv → rgb for (N,1,H,W) hue, saturation and value. */
export function hsvToRgb(h: Tensor, s: Tensor, v: Tensor): Tensor {
  return hueToRgb(h, v, v.mul(s));
}

/** Per-sample lerp between x and its grayscale (m is 0 or 1 per sample, shaped (N,1,1,1)). */
export function randomGrayscale(x: Tensor, m: Tensor): Tensor {
  if (x.size(1) === 1) return x.alias();
  const g = grayscaleOf(x).expandAs(x);
  return x.add(g.sub(x).mul(m));
}

/** Subtracts mean and divides by std per channel. */
export function normalize(x: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  const c = x.size(1);
  if (mean.length !== c || std.length !== c)
    throw new RangeError(`normalize: ${c} channels but mean has ${mean.length} and std ${std.length} values`);
  const meanT = tensor([...mean], { device: x.device }).view(1, c, 1, 1);
  const stdT = tensor([...std], { device: x.device }).view(1, c, 1, 1);
  return x.sub(meanT).div(stdT);
}

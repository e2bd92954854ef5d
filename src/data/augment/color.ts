// Batched colour operations on float images (N,C,H,W) in [0,1], each with a per-sample factor
// tensor shaped (N,1,1,1). Semantics follow torchvision's functional colour ops: every op clamps
// to [0,1]; grayscale uses ITU-R 601 luma weights (0.2989, 0.587, 0.114).
import { cat, type Tensor, tensor, where } from "../../torch/index.js";

const LUMA = [0.2989, 0.587, 0.114] as const;

/** Luma (N,1,H,W); a 1-channel image is its own luma. */
export function grayscaleOf(x: Tensor): Tensor {
  if (x.size(1) === 1) return x.alias();
  const [r, g, b] = x.unbind(1) as [Tensor, Tensor, Tensor];
  return r.mul(LUMA[0]).add(g.mul(LUMA[1])).add(b.mul(LUMA[2])).unsqueeze(1);
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
  const [h, s, v] = rgbToHsv(x);
  const h2 = h.add(shift).remainder(1);
  return hsvToRgb(h2, s, v);
}

/** Each of (N,1,H,W): hue in [0,1), saturation, value. */
export function rgbToHsv(x: Tensor): [Tensor, Tensor, Tensor] {
  const [r, g, b] = x.split(1, 1) as [Tensor, Tensor, Tensor];
  const maxc = x.amax(1, true);
  const minc = x.amin(1, true);
  const cr = maxc.sub(minc);
  const s = cr.div(where(maxc.eq(0), 1, maxc));
  const crSafe = where(cr.eq(0), 1, cr);
  const rc = maxc.sub(r).div(crSafe);
  const gc = maxc.sub(g).div(crSafe);
  const bc = maxc.sub(b).div(crSafe);
  const hr = bc.sub(gc);
  const hg = rc.sub(bc).add(2);
  const hb = gc.sub(rc).add(4);
  const isR = maxc.eq(r);
  const isG = maxc.eq(g).logicalAnd(isR.logicalNot());
  const h = where(isR, hr, where(isG, hg, hb))
    .div(6)
    .remainder(1);
  return [where(cr.eq(0), 0, h), s, maxc];
}

export function hsvToRgb(h: Tensor, s: Tensor, v: Tensor): Tensor {
  const h6 = h.mul(6);
  const i = h6.floor();
  const f = h6.sub(i);
  const sector = i.remainder(6);
  const p = v.mul(s.rsub(1)).clamp(0, 1);
  const q = v.mul(s.mul(f).rsub(1)).clamp(0, 1);
  const t = v.mul(s.mul(f.rsub(1)).rsub(1)).clamp(0, 1);
  // (r,g,b) per hue sector 0..5
  const table: [Tensor, Tensor, Tensor][] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ];
  const pick = (c: 0 | 1 | 2) => {
    let out = table[5]?.[c] as Tensor;
    for (let k = 4; k >= 0; k--) out = where(sector.eq(k), table[k]?.[c] as Tensor, out);
    return out;
  };
  return cat([pick(0), pick(1), pick(2)], 1);
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

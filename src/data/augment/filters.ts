// Batched filters: Gaussian blur with a per-sample sigma (grouped conv2d), coarse dropout (masks
// from per-sample rectangles) and Gaussian noise from a counter-based hash computed on the device,
// so the noise depends only on (sample seed, pixel index) — the same on CPU and CUDA, independent
// of LibTorch's global generator and of how samples were batched.
import { arange, callOp, F, type Tensor, tensor } from "../../torch/index.js";

// Bitwise ops through the dispatcher (Tensor has no methods for them).
const and = (a: Tensor, m: number): Tensor => callOp("bitwise_and.Scalar", a, m);
const xor = (a: Tensor, b: Tensor): Tensor => callOp("bitwise_xor.Tensor", a, b);
const shr = (a: Tensor, n: number): Tensor => callOp("bitwise_right_shift.Tensor_Scalar", a, n);

/** The SimCLR blur kernel: 10% of the side, odd (google-research/simclr uses height//10 → radius). */
export function blurKernelSize(side: number): number {
  return 2 * Math.floor(Math.floor(side / 10) / 2) + 1;
}

/**
 * Normalised Gaussian taps of an odd kernel, one row per sigma (sigmas.length × kernel, row-major);
 * a null sigma gets the unit impulse. Shared by gaussianBlur and the fused kernel (fused.ts).
 */
export function blurTaps(sigmas: readonly (number | null)[], kernel: number): Float32Array {
  const r = Math.floor(kernel / 2);
  const taps = new Float32Array(sigmas.length * kernel);
  sigmas.forEach((s, i) => {
    if (s === null) {
      taps[i * kernel + r] = 1;
      return;
    }
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += Math.exp(-(k * k) / (2 * s * s));
    for (let k = -r; k <= r; k++) taps[i * kernel + k + r] = Math.exp(-(k * k) / (2 * s * s)) / sum;
  });
  return taps;
}

/** Whether a kernel blurs H×W images at all: odd size ≥ 3 whose reflect padding fits (radius < side). */
export const blurApplies = (kernel: number, H: number, W: number): boolean =>
  kernel >= 3 && Math.floor(kernel / 2) <= Math.min(H, W) - 1;

/**
 * Separable Gaussian blur, sigma per sample (N values), reflect padding. A null sigma leaves its
 * sample unchanged (a unit impulse kernel), so a random subset is blurred without gathering it.
 */
export function gaussianBlur(x: Tensor, sigmas: (number | null)[], kernel: number): Tensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (!blurApplies(kernel, H, W)) return x.alias(); // image smaller than the kernel: nothing sensible to blur
  const r = Math.floor(kernel / 2);
  const taps = blurTaps(sigmas, kernel);
  // One group per (sample, channel): the sample's kernel repeated for each of its channels.
  const w1 = tensor(taps, { shape: [N, 1, kernel], device: x.device })
    .repeat(1, C, 1)
    .view(N * C, 1, 1, kernel);
  const flat = x.reshape(1, N * C, H, W);
  const h = F.conv2d(F.pad(flat, [r, r, 0, 0], "reflect"), w1, null, { groups: N * C });
  const v = F.conv2d(F.pad(h, [0, 0, r, r], "reflect"), w1.view(N * C, 1, kernel, 1), null, { groups: N * C });
  return v.view(N, C, H, W);
}

/** A rectangle in pixels: rows [y0, y1), columns [x0, x1). */
export interface Hole {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Sets the given holes (a list per sample, possibly empty) to fill. */
export function coarseDropout(x: Tensor, holes: Hole[][], fill = 0): Tensor {
  const [N, , H, W] = x.shape as [number, number, number, number];
  const K = Math.max(1, ...holes.map((h) => h.length));
  const rect = new Float32Array(N * K * 4); // unused slots stay empty: [0,0) × [0,0)
  holes.forEach((list, i) => {
    list.forEach((h, k) => {
      rect.set([h.y0, h.y1, h.x0, h.x1], (i * K + k) * 4);
    });
  });
  const r = tensor(rect, { shape: [N, K, 4, 1, 1], device: x.device }).unbind(2) as [Tensor, Tensor, Tensor, Tensor];
  const ys = arange(0, H, 1, { dtype: "float32", device: x.device }).view(1, 1, H, 1);
  const xs = arange(0, W, 1, { dtype: "float32", device: x.device }).view(1, 1, 1, W);
  const inY = ys.ge(r[0]).logicalAnd(ys.lt(r[1]));
  const inX = xs.ge(r[2]).logicalAnd(xs.lt(r[3]));
  const mask = callOp<Tensor>("any.dim", inY.logicalAnd(inX), 1, true); // (N,K,H,W) → (N,1,H,W)
  return x.maskedFill(mask, fill);
}

const M32 = 0xffffffff;

/** (a · c) mod 2^32 for a < 2^32 in int64 without overflow: split c into 16-bit halves. */
function mulMod32(a: Tensor, c: number): Tensor {
  const hi = c >>> 16;
  const lo = c & 0xffff;
  const h = and(a.mul(hi), 0xffff).mul(65536);
  return and(h.add(a.mul(lo)), M32);
}

/** lowbias32 integer hash (Chris Wellons' hash-prospector), elementwise on int64 holding uint32. */
function hash32(x: Tensor): Tensor {
  let h = xor(x, shr(x, 16));
  h = mulMod32(h, 0x7feb352d);
  h = xor(h, shr(h, 15));
  h = mulMod32(h, 0x846ca68b);
  return xor(h, shr(h, 16));
}

/** Uniform (0,1) float32 of shape (N, count) keyed by per-sample seeds and a stream number. */
export function hashUniform(seeds: number[], count: number, stream: number, device: Tensor["device"]): Tensor {
  const N = seeds.length;
  const key = hash32(
    tensor(
      seeds.map((s) => (s ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0),
      { dtype: "int64", device },
    ).view(N, 1),
  );
  const idx = arange(0, count, 1, { device }).view(1, count);
  const h = hash32(xor(hash32(and(idx.add(key), M32)), key));
  // top 24 bits → float32 exactly, centred in its bucket so 0 and 1 never occur
  return shr(h, 8)
    .float()
    .add(0.5)
    .mul(2 ** -24);
}

/** Standard normal noise (N, count) by Box–Muller on two hashed uniform streams. */
export function hashNormal(seeds: number[], count: number, device: Tensor["device"]): Tensor {
  const u1 = hashUniform(seeds, count, 0, device);
  const u2 = hashUniform(seeds, count, 1, device);
  return u1
    .log()
    .mul(-2)
    .sqrt()
    .mul(u2.mul(2 * Math.PI).cos());
}

/** Adds N(0, std_i²) noise per sample and clamps to [0,1]. */
export function gaussianNoise(x: Tensor, seeds: number[], stds: number[]): Tensor {
  const [N] = x.shape as [number];
  const per = x.numel / N;
  const noise = hashNormal(seeds, per, x.device).view(x.shape);
  const s = tensor(stds, { device: x.device }).view(N, 1, 1, 1);
  return x.add(noise.mul(s)).clamp(0, 1);
}

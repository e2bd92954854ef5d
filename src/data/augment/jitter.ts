// Colour jitter as per-image colour matrices (issue #15): torchvision's ColorJitter applies brightness,
// contrast, saturation and hue in a random order per image and clamps to [0,1] after each. Every one
// of the four is an affine map of the pixel's colour vector:
//   brightness f:  y = f·x
//   contrast f:    y = f·x + (1−f)·mean(luma(x))        (the offset is one number per image)
//   saturation f:  y = f·x + (1−f)·1·lumaᵀx             (A = f·I + (1−f)·1wᵀ)
//   hue h:         y = R(h)·x, a rotation about the grey axis (below; torchvision's HSV shift is not linear)
// so stage k of the batch is one batched 3×3 product with each image's k-th matrix, one offset add and
// one clamp: 4 stages for any mixture of orders, no per-operation subsets, and the clamps fall exactly
// where torchvision's do. Only the contrast offset depends on the data (the stage input's mean luma),
// one reduction per stage that has a contrast image. The only difference from torchvision is hue
// (measured in test/data/augment/jitter.test.ts).
import { callOp, type Tensor, tensor } from "../../torch/index.js";

/** ITU-R 601 luma weights, as torchvision's rgb_to_grayscale. */
export const LUMA = [0.2989, 0.587, 0.114] as const;

/** Jitter operations in torchvision's ColorJitter index order (fn_idx). */
export type JitterOp = "brightness" | "contrast" | "saturation" | "hue";
export const JITTER_OPS: readonly JitterOp[] = ["brightness", "contrast", "saturation", "hue"];

/**
 * Hue shift h (fraction of a turn, torchvision's hue_factor) as a 3×3 matrix: a rotation by 2πh about
 * the grey axis (1,1,1)/√3 (Rodrigues). Greys are fixed, as in HSV, and a shift of ±1/3 turn permutes
 * the primaries exactly as HSV does. It is not HSV's piecewise-linear shift: over a 12³ lattice of
 * colours the mean absolute difference to torchvision's adjust_hue is 0.068 at |h| = 0.1 (max 0.24),
 * 0.077 at |h| = 0.2 (max 0.30), and ≈0.02 on low-saturation colours (test/data/augment/jitter.test.ts
 * states the tolerances). A rotation in YIQ (luma-preserving, the suggestion) was measured
 * further from torchvision on random colours (mean 0.085, max 0.39 at |h| = 0.1 vs 0.065 / 0.24), so
 * the grey axis it is.
 */
export function hueMatrix(h: number): number[] {
  const t = 2 * Math.PI * h;
  const c = Math.cos(t);
  const s = Math.sin(t) / Math.sqrt(3);
  const a = (1 - c) / 3;
  // cos·I + sin·[k]× + (1−cos)·kkᵀ with k = (1,1,1)/√3
  return [c + a, a - s, a + s, a + s, c + a, a - s, a - s, a + s, c + a];
}

/** The C×C matrix (row-major) of one jitter operation with factor f on C channels (1 or 3). */
export function jitterMatrix(op: JitterOp | null, f: number, C: number): number[] {
  return Array.from(jitterMatrixInto(new Float64Array(C * C), op, f, C));
}

/** out ← k·I (C×C). */
function diagonalInto(out: Float64Array, k: number, C: number): Float64Array {
  out.fill(0);
  for (let i = 0; i < C; i++) out[i * (C + 1)] = k;
  return out;
}

/**
 * jitterMatrix written into `out` (C·C values), which is returned: no allocation and no closure per
 * image (under tsx every closure created costs a defineProperty for its name).
 */
function jitterMatrixInto(out: Float64Array, op: JitterOp | null, f: number, C: number): Float64Array {
  if (op === null) return diagonalInto(out, 1, C);
  if (op === "brightness" || op === "contrast") return diagonalInto(out, f, C);
  if (C === 1) return diagonalInto(out, 1, C); // torchvision leaves 1-channel images alone for saturation and hue
  if (op === "hue") {
    out.set(hueMatrix(f));
    return out;
  }
  // saturation: f·I + (1−f)·1wᵀ
  for (let i = 0; i < 9; i++) out[i] = (i % 4 === 0 ? f : 0) + (1 - f) * (LUMA[i % 3] as number);
  return out;
}

/** One image's jitter: factors in ColorJitter order (brightness, contrast, saturation, hue) and its order. */
export interface ImageJitter {
  on: boolean;
  factors: readonly number[];
  order: ArrayLike<number>;
}

/**
 * One pass over the batch: y ← clamp(A·y + L·μ(y), 0, 1) with each image's C×C matrices A and L
 * (row-major, N·C·C) and μ(y) the image's per-channel mean. L carries the contrast offsets
 * (1−f)·mean(luma)·1 = (1−f)·1wᵀ·μ; null when no image needs one.
 */
export interface JitterStage {
  matrices: Float32Array;
  offsets: Float32Array | null;
  /** every A is a multiple of the identity: a per-image scale instead of a matrix product */
  diagonal: boolean;
}

/** How the clamps fall: after every operation as torchvision ("each"), or once after all four ("once"). */
export type JitterClamp = "each" | "once";

/** Whether op with factor f leaves every image of C channels unchanged. */
const isIdentity = (op: JitterOp, f: number, C: number) =>
  op === "hue" ? f === 0 || C === 1 : f === 1 || (op === "saturation" && C === 1);

/** An image's operations in its order, without those that change nothing. */
function effectiveOps(im: ImageJitter, C: number): { op: JitterOp; f: number }[] {
  const out: { op: JitterOp; f: number }[] = [];
  if (!im.on) return out;
  for (let k = 0; k < im.order.length; k++) {
    const j = im.order[k] as number;
    const op = JITTER_OPS[j] as JitterOp;
    const f = im.factors[j] as number;
    if (!isIdentity(op, f, C)) out.push({ op, f });
  }
  return out;
}

/** out ← a·b for C×C row-major matrices in float64 (out must not be a or b). */
function matmulInto(out: Float64Array, a: ArrayLike<number>, b: ArrayLike<number>, C: number): Float64Array {
  for (let r = 0; r < C; r++)
    for (let c = 0; c < C; c++) {
      let v = 0;
      for (let k = 0; k < C; k++) v += (a[r * C + k] as number) * (b[k * C + c] as number);
      out[r * C + c] = v;
    }
  return out;
}

/** out ← (1−f)·1wᵀ: the contrast offset as a matrix on the channel means. */
function contrastOffsetInto(out: Float64Array, f: number, C: number): Float64Array {
  const w = C === 1 ? [1] : LUMA;
  for (let i = 0; i < C * C; i++) out[i] = (1 - f) * (w[i % C] as number);
  return out;
}

/**
 * The passes for a batch of images with C channels.
 * "each": pass k applies every image's k-th effective operation, so the clamps fall exactly where
 * torchvision's do. Operations that change nothing (factor 1, hue 0, saturation/hue of 1-channel
 * images, jitter off) are dropped and the rest move up — exact, since an identity followed by a clamp
 * of [0,1] values changes nothing — so a batch needs as many passes as its busiest image has
 * operations (2 for grey images with brightness and contrast, usually 4 for colour images).
 * "once": each image's operations composed into one affine map and one clamp. The contrast mean of an
 * unclamped intermediate image is affine in the input's channel means, so it stays exact up to the
 * clamps torchvision applies in between: on uniformly random colours at strength 0.5 the mean absolute
 * difference to "each" is 0.006 (max 0.30, where a channel saturated mid-sequence), 0.018 at strength 1
 * (test/data/augment/jitter.test.ts). It is one pass instead of four and the SimCLR default.
 * With "once", `gray` (per image) folds RandomGrayscale in too: luma·1 applied to the composed map
 * before the one clamp instead of after it (luma of clamped colours equals clamped luma unless a
 * channel left [0,1]).
 */
export function jitterStages(
  images: readonly ImageJitter[],
  C: number,
  clamp: JitterClamp = "each",
  gray?: readonly boolean[],
): JitterStage[] {
  const N = images.length;
  const CC = C * C;
  const perImage = images.map((im) => effectiveOps(im, C));
  const eye = jitterMatrix(null, 1, C);
  if (clamp === "once") {
    // current image = A·y + L·μ(y); its channel mean is (A + L)·μ(y). Float64 scratch, reused per image.
    const matrices = new Float32Array(N * CC);
    const offsets = new Float32Array(N * CC);
    const scratch = () => new Float64Array(CC);
    const [A, L, M, T, S, O, P] = [scratch(), scratch(), scratch(), scratch(), scratch(), scratch(), scratch()];
    const G = new Float64Array([...LUMA, ...LUMA, ...LUMA]);
    let diagonal = true;
    let anyOffset = false;
    perImage.forEach((ops, i) => {
      diagonalInto(A, 1, C);
      L.fill(0);
      for (const { op, f } of ops) {
        jitterMatrixInto(M, op, f, C);
        matmulInto(T, M, L, C); // next L = M·L (+ the contrast offset on (A + L)·μ)
        if (op === "contrast") {
          for (let k = 0; k < CC; k++) S[k] = (A[k] as number) + (L[k] as number);
          matmulInto(P, contrastOffsetInto(O, f, C), S, C);
          for (let k = 0; k < CC; k++) T[k] = (T[k] as number) + (P[k] as number);
          anyOffset = true;
        }
        L.set(T);
        A.set(matmulInto(T, M, A, C));
        if (C > 1 && (op === "saturation" || op === "hue")) diagonal = false;
      }
      if (C === 3 && gray?.[i]) {
        A.set(matmulInto(T, G, A, C));
        L.set(matmulInto(T, G, L, C));
        diagonal = false;
      }
      for (let k = 0; k < CC; k++) {
        matrices[i * CC + k] = A[k] as number;
        offsets[i * CC + k] = L[k] as number;
      }
    });
    const nothing = perImage.every((l) => l.length === 0) && !(C === 3 && gray?.some(Boolean));
    return nothing ? [] : [{ matrices, offsets: anyOffset ? offsets : null, diagonal }];
  }
  if (gray) throw new RangeError('jitterStages: grayscale folds into the matrices only with clamp "once"');
  const count = Math.max(0, ...perImage.map((l) => l.length));
  return Array.from({ length: count }, (_, k) => {
    const matrices = new Float32Array(N * CC);
    const offsets = new Float32Array(N * CC);
    let diagonal = true;
    let anyOffset = false;
    perImage.forEach((ops, i) => {
      const q = ops[k];
      matrices.set(q ? jitterMatrix(q.op, q.f, C) : eye, i * CC);
      if (q?.op === "contrast") {
        offsets.set(contrastOffsetInto(new Float64Array(CC), q.f, C), i * CC);
        anyOffset = true;
      }
      if (C > 1 && (q?.op === "saturation" || q?.op === "hue")) diagonal = false;
    });
    return { matrices, offsets: anyOffset ? offsets : null, diagonal };
  });
}

/**
 * Applies the passes to y (N,C,H,W) in [0,1] after multiplying it by `scale` (1/255 folds the uint8
 * conversion into the first pass): y ← clamp(A·y + L·μ(y), 0, 1) per pass.
 */
export function applyJitterStages(y: Tensor, stages: readonly JitterStage[], scale = 1): Tensor {
  const [N, C, H, W] = y.shape as [number, number, number, number];
  if (stages.length === 0) return scale === 1 ? y : y.mul(scale);
  let z = y.reshape(N, C, H * W);
  const dev = { device: y.device };
  stages.forEach((st, k) => {
    const s = k === 0 ? scale : 1;
    const offset = st.offsets
      ? callOp<Tensor>("bmm", tensor(st.offsets, { shape: [N, C, C], ...dev }).mul(s), z.mean([2], true))
      : null;
    if (st.diagonal) {
      const diag = new Float32Array(N);
      for (let i = 0; i < N; i++) diag[i] = (st.matrices[i * C * C] as number) * s;
      const d = tensor(diag, dev).view(N, 1, 1);
      z = offset ? callOp<Tensor>("addcmul", offset, z, d) : z.mul(d); // one pass either way
    } else {
      const m = tensor(st.matrices, { shape: [N, C, C], ...dev });
      z = callOp<Tensor>("bmm", s === 1 ? m : m.mul(s), z);
      if (offset) callOp("add_.Tensor", z, offset);
    }
    callOp("clamp_", z, 0, 1);
  });
  return z.view(N, C, H, W);
}

/** Per-image grayscale (gray[i] true → luma in every channel) as one batched matrix product. */
export function grayscaleWhere(y: Tensor, gray: readonly boolean[]): Tensor {
  const [N, C, H, W] = y.shape as [number, number, number, number];
  if (C === 1 || !gray.some(Boolean)) return y;
  const m = new Float32Array(N * 9);
  gray.forEach((g, i) => {
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++) m[i * 9 + r * 3 + c] = g ? (LUMA[c] as number) : r === c ? 1 : 0;
  });
  const mt = tensor(m, { shape: [N, 3, 3], device: y.device });
  return callOp<Tensor>("bmm", mt, y.view(N, 3, H * W)).view(N, C, H, W);
}

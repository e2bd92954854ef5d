// The fused CPU kernel (facelab::simclr_views, src/data/augment/fused.ts) against its oracle, the
// batched tensor-op path (simclr.ts simclrBatch: grid_sample, the jitter matrices, grouped-conv blur —
// each checked against torchvision in ops.test.ts and jitter.test.ts) on the same seeds; the identity
// at strength 0 exactly; determinism; and every bad argument as a clear error on both sides of the addon.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  augment,
  fusedViews,
  pipelineInput,
  type SimclrConfig,
  simclrBatch,
  simclrCifar,
  simclrLarge,
  simclrParams,
  simclrViewBatch,
  toFloatImages,
  usesFusedKernel,
} from "../../../src/data/augment/index.js";
import { Rng } from "../../../src/data/rng.js";
import {
  callOp,
  fromTypedArray,
  getNumThreads,
  liveTensors,
  setNumThreads,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "../../../src/torch/index.js";

const maxAbsDiff = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item();

/** N uniformly random uint8 images (N,S,S,C): noise, the worst case for interpolation differences. */
function noise(N: number, S: number, C: number, seed: number): Tensor {
  const r = new Rng(seed);
  return fromTypedArray(
    Uint8Array.from({ length: N * S * S * C }, () => r.int(0, 256)),
    [N, S, S, C],
  );
}

/** Everything on: crop, flip, jitter strength 1 with hue, grayscale and blur at p 0.5 each. */
const busy = (size: number): SimclrConfig => ({
  ...simclrLarge(size),
  flipP: 0.5,
  grayscaleP: 0.5,
  blur: { p: 0.5, sigma: [0.1, 2] },
});

/** The tensor-op path on the same per-sample seeds (what the kernel replaces on the CPU). */
function tensorOps(u8: Tensor, cfg: SimclrConfig, seeds: number[]): Tensor {
  const { x, scale } = pipelineInput(u8);
  return simclrBatch(x, scale, cfg, seeds);
}

test("fused kernel = tensor-op path on the same seeds (C 1 and 3, 32 and 96 px, blur, flip, grayscale)", () => {
  // Tolerance: the tensor path builds its sampling grid in float32; at 32 px its coordinates
  // (2j+1)/32 are exact and the paths agree to float rounding (measured max 4.8e-7 over seeds 0–9),
  // at 96 px (2j+1)/96 is not and a coordinate is off by up to ~3e-6 px, which noise images (255 per
  // pixel) and jitter gains turn into max |Δ| 2.0e-5 (mean 4.4e-7, seeds 0–9). The kernel computes
  // coordinates in double.
  const start = liveTensors();
  tidy(() => {
    for (const [size, tol] of [
      [32, 1e-6],
      [96, 5e-5],
    ] as const)
      for (const C of [1, 3])
        for (const cfg of [busy(size), { ...busy(size), blur: { p: 1, sigma: [0.5, 2] as [number, number] } }]) {
          const N = 12;
          const u8 = noise(N, size, C, size + C);
          const r = new Rng(C);
          const seeds = Array.from({ length: N }, () => r.seed());
          assert.ok(usesFusedKernel(u8, cfg));
          const fused = augment(u8, cfg, { seeds });
          const ops = tensorOps(u8, cfg, seeds);
          assert.deepEqual(fused.shape, [N, C, size, size]);
          const d = fused.sub(ops).abs();
          const what = `${size} px, C ${C}, blur p ${cfg.blur?.p}`;
          assert.ok(d.max().item() <= tol, `${what}: max |Δ| ${d.max().item()} > ${tol}`);
          assert.ok(d.mean().item() <= 1e-6, `${what}: mean |Δ| ${d.mean().item()}`);
          // the mixture really was exercised: some views flipped, grayscaled and blurred
          const p = simclrParams(seeds, cfg, size, size);
          for (const k of ["flip", "gray", "blur", "on"] as const)
            assert.ok(
              p.some((q) => q[k]),
              `${what}: no ${k}`,
            );
        }
  });
  assert.equal(liveTensors(), start);
});

test("both views in one batch: simclrViewBatch from uint8 (fused) = from float images (tensor ops), normalised", () => {
  tidy(() => {
    const u8 = noise(6, 32, 3, 4);
    const cfg = { ...busy(32), normalize: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } };
    const fused = simclrViewBatch(u8, cfg, 17);
    assert.deepEqual(fused.shape, [12, 3, 32, 32]);
    // toFloatImages divides by 255 where the kernel multiplies by 1/255: 1 ulp, then /std
    assert.ok(maxAbsDiff(fused, simclrViewBatch(toFloatImages(u8), cfg, 17)) < 1e-5);
  });
});

test("strength 0 is the identity exactly: full-image box, no jitter → input·(1/255); flip mirrors exactly", () => {
  tidy(() => {
    for (const size of [32, 96])
      for (const C of [1, 3]) {
        const u8 = noise(3, size, C, 7);
        const off: SimclrConfig = {
          ...simclrCifar(size),
          scale: [1, 1],
          ratio: [1, 1],
          flipP: 0,
          jitter: { strength: 0, p: 1 },
          grayscaleP: 0,
        };
        const want = u8
          .permute(0, 3, 1, 2)
          .float()
          .mul(1 / 255);
        assert.equal(maxAbsDiff(augment(u8, off, { seed: 1 }), want), 0, `${size} px, C ${C}`);
        assert.ok(maxAbsDiff(want, toFloatImages(u8)) <= 6e-8); // ·(1/255) vs /255: at most 1 ulp
        assert.equal(maxAbsDiff(augment(u8, { ...off, flipP: 1 }, { seed: 1 }), want.flip([3])), 0);
      }
  });
});

test("determinism: a seed gives the same views at 1 and 2 threads; another seed others; batching is irrelevant", () => {
  tidy(() => {
    const u8 = noise(8, 96, 3, 3);
    const cfg = busy(96);
    const threads = getNumThreads();
    try {
      setNumThreads(1);
      const one = simclrViewBatch(u8, cfg, 5);
      setNumThreads(2);
      assert.equal(maxAbsDiff(simclrViewBatch(u8, cfg, 5), one), 0);
      assert.ok(maxAbsDiff(simclrViewBatch(u8, cfg, 6), one) > 0.05);
    } finally {
      setNumThreads(threads);
    }
    const seeds = [21, 22, 23, 24, 25, 26, 27, 28];
    const all = augment(u8, cfg, { seeds });
    assert.equal(maxAbsDiff(all.narrow(0, 5, 1), augment(u8.narrow(0, 5, 1), cfg, { seeds: [26] })), 0);
  });
});

test('clamp "each", float input keep the tensor-op path; a non-contiguous uint8 batch is copied first', () => {
  tidy(() => {
    const u8 = noise(4, 32, 3, 9);
    const each: SimclrConfig = { ...busy(32), jitter: { ...busy(32).jitter, clamp: "each" } };
    assert.equal(usesFusedKernel(u8, each), false);
    assert.equal(usesFusedKernel(toFloatImages(u8), busy(32)), false);
    assert.ok(maxAbsDiff(augment(u8, each, { seed: 2 }), augment(toFloatImages(u8), each, { seed: 2 })) < 1e-5);
    const strided = u8.transpose(1, 2); // (N,W,H,C) view, same shape for square images
    assert.equal(strided.isContiguous(), false);
    assert.equal(
      maxAbsDiff(augment(strided, busy(32), { seed: 2 }), augment(strided.contiguous(), busy(32), { seed: 2 })),
      0,
    );
  });
});

test("bad inputs: TypeScript names the problem before crossing, the kernel names the argument", () => {
  const start = liveTensors();
  tidy(() => {
    const u8 = noise(2, 8, 3, 1);
    const cfg = busy(8);
    const p = simclrParams([1, 2], cfg, 8, 8);
    assert.throws(() => fusedViews(u8.float(), [0, 1], p, cfg), /uint8 images \(N,H,W,C\), got float32/);
    assert.throws(() => fusedViews(noise(2, 8, 2, 1), [0, 1], p, cfg), /1 or 3 channels/);
    assert.throws(() => fusedViews(u8, [0, 2], p, cfg), /source\[1\] = 2 is not an image index in \[0, 2\)/);
    assert.throws(() => fusedViews(u8, [0], p, cfg), /1 source indices but 2 parameter sets/);
    assert.throws(() => fusedViews(u8.transpose(1, 2), [0, 1], p, cfg), /must be contiguous/);
    assert.throws(() => fusedViews(u8, [0, 1], p, { ...cfg, blur: { p: 1, sigma: [1, 1], kernel: 4 } }), /odd/);

    // straight to the kernel: a valid call, then one bad argument at a time
    const V = 2;
    const ok = {
      images: u8,
      source: tensor([0, 1], { dtype: "int64" }),
      boxes: tensor([0, 0, 8, 8, 1, 1, 4, 4], { dtype: "float64" }).view(V, 4),
      flips: tensor([false, true]),
      matrices: tensor(Array.from({ length: V * 9 }, (_, i) => ((i % 9) % 4 === 0 ? 1 : 0))).view(V, 3, 3),
      offsets: zeros([V, 3, 3]),
      scale: 1 / 255,
      taps: tensor([0.25, 0.5, 0.25, 0.25, 0.5, 0.25]).view(V, 3),
      blurred: tensor([false, true]),
      size: 8,
    };
    const call = (o: Partial<typeof ok>) => {
      const a = { ...ok, ...o };
      return callOp<Tensor>(
        "facelab::simclr_views",
        a.images,
        a.source,
        a.boxes,
        a.flips,
        a.matrices,
        a.offsets,
        a.scale,
        a.taps,
        a.blurred,
        a.size,
      );
    };
    const y = call({});
    assert.deepEqual(y.shape, [V, 3, 8, 8]);
    assert.equal(
      maxAbsDiff(
        y.select(0, 0),
        u8
          .select(0, 0)
          .permute(2, 0, 1)
          .float()
          .mul(1 / 255),
      ),
      0,
    ); // view 0: identity
    const bad: [Partial<typeof ok>, RegExp][] = [
      [{ images: u8.float() }, /argument 'images' expects Byte \(N,H,W,C\), got Float/],
      [{ images: u8.view(2, 8, 24) }, /argument 'images' expects shape \(N,H,W,C\)/],
      [{ images: noise(2, 8, 4, 1) }, /argument 'images' expects 1 or 3 channels/],
      [{ images: u8.transpose(1, 2) }, /argument 'images' must be contiguous/],
      [{ source: tensor([0, 2], { dtype: "int64" }) }, /argument 'source' \[1\] = 2 is outside the 2 images/],
      [{ source: tensor([-1, 0], { dtype: "int64" }) }, /argument 'source' \[0\] = -1/],
      [{ source: tensor([0, 1], { dtype: "int32" }) }, /argument 'source' expects Long/],
      [{ boxes: ok.boxes.float() }, /argument 'boxes' expects Double/],
      [{ boxes: tensor([0, 0, 8, 8, 1, 1, 0, 4], { dtype: "float64" }).view(V, 4) }, /argument 'boxes' \[1\]/],
      [{ flips: tensor([false]) }, /argument 'flips' expects shape \(2\)/],
      [{ matrices: zeros([V, 1, 1]) }, /argument 'matrices' expects shape \(2,3,3\)/],
      [{ offsets: zeros([V, 3, 3], { dtype: "float64" }) }, /argument 'offsets' expects Float/],
      [{ taps: zeros([V, 4]) }, /argument 'taps' expects an odd kernel/],
      [{ taps: zeros([V, 17]) }, /argument 'taps' expects an odd kernel whose radius is below 'size'/],
      [{ blurred: tensor([1, 0], { dtype: "uint8" }) }, /argument 'blurred' expects Bool/],
      [{ size: 0 }, /argument 'size' expects 1 to 16384/],
      [{ scale: Number.NaN }, /argument 'scale' must be finite/],
    ];
    for (const [o, re] of bad) assert.throws(() => call(o), re, String(re));
  });
  assert.equal(liveTensors(), start);
});

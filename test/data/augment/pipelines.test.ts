// SimCLR and face-study pipelines: shapes, ranges, determinism under a seed, identity at zero
// strength, and the rates of random flips and grayscale against their configured probabilities.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  augment,
  evalTransform,
  faceStudy,
  type SimclrConfig,
  simclrCifar,
  simclrLarge,
  toFloatImages,
  toRgb,
  twoViews,
} from "../../../src/data/augment/index.js";
import { Rng } from "../../../src/data/rng.js";
import { cat, fromTypedArray, liveTensors, rand, tensor, tidy } from "../../../src/torch/index.js";

const off: SimclrConfig = {
  kind: "simclr",
  size: 8,
  scale: [1, 1],
  ratio: [1, 1],
  flipP: 0,
  jitter: { strength: 0, p: 1 },
  grayscaleP: 0,
  blur: null,
  normalize: null,
};

const maxAbsDiff = (a: ReturnType<typeof rand>, b: ReturnType<typeof rand>) => a.sub(b).abs().max().item();

test("every preset keeps shape (N,C,size,size) and values in [0,1]", () => {
  const start = liveTensors();
  tidy(() => {
    const x = rand([6, 3, 40, 40]);
    for (const cfg of [simclrCifar(32), simclrLarge(32), faceStudy(24)]) {
      const y = augment(x, cfg, { seed: 5 });
      assert.deepEqual(y.shape, [6, 3, cfg.size, cfg.size]);
      assert.ok(y.min().item() >= 0 && y.max().item() <= 1, cfg.kind);
    }
    const g = augment(rand([4, 1, 28, 28]), simclrCifar(32), { seed: 1 }); // grayscale input works too
    assert.deepEqual(g.shape, [4, 1, 32, 32]);
  });
  assert.equal(liveTensors(), start);
});

test("same seed → same batch; another seed → another batch; per-sample seeds ignore batching", () => {
  tidy(() => {
    const x = rand([5, 3, 32, 32]);
    for (const cfg of [simclrLarge(32), faceStudy(32)]) {
      assert.equal(maxAbsDiff(augment(x, cfg, { seed: 9 }), augment(x, cfg, { seed: 9 })), 0);
      assert.ok(maxAbsDiff(augment(x, cfg, { seed: 9 }), augment(x, cfg, { seed: 10 })) > 0.05);
      const seeds = [11, 12, 13, 14, 15];
      const all = augment(x, cfg, { seeds });
      const one = augment(x.slice(0, 3, 4), cfg, { seeds: [14] });
      assert.ok(maxAbsDiff(all.slice(0, 3, 4), one) < 1e-6, `${cfg.kind}: sample 3 depends on its batch`);
    }
    const [a, b] = twoViews(x, simclrCifar(32), 3);
    const [a2] = twoViews(x, simclrCifar(32), 3);
    assert.equal(maxAbsDiff(a, a2), 0);
    assert.ok(maxAbsDiff(a, b) > 0.05);
  });
});

test("zero strength is the identity (jitter on with factors 1, full crop, no flip)", () => {
  tidy(() => {
    const x = rand([4, 3, 8, 8]);
    assert.ok(maxAbsDiff(augment(x, off, { seed: 1 }), x) < 1e-5);
    const faceOff = { ...faceStudy(8), scale: [1, 1] as [number, number], ratio: [1, 1] as [number, number], flipP: 0 };
    const zero = {
      ...faceOff,
      blur: null,
      downscale: null,
      dropout: null,
      noise: null,
      brightnessContrast: { p: 1, brightness: 0, contrast: 0 },
      hueSaturation: { p: 1, hue: 0, saturation: 0 },
    };
    assert.ok(maxAbsDiff(augment(x, zero, { seed: 1 }), x) < 1e-5);
  });
});

test("flip rate ≈ flipP and grayscale rate ≈ grayscaleP", () => {
  tidy(() => {
    const N = 2000;
    // An asymmetric 3×3 image: left column bright (luma 0.88), the rest dark blue.
    const ch = (left: number, rest: number) => [0, 1, 2].map(() => [left, rest, rest]);
    const one = tensor([ch(1, 0), ch(0.8, 0.1), ch(0.9, 0.5)]).unsqueeze(0);
    const x = one.expand(N, 3, 3, 3).contiguous();
    const y = augment(x, { ...off, size: 3, flipP: 0.5, grayscaleP: 0.2 }, { seed: 123 });
    // flipped ⇔ the bright column moved to the right (also when grayscaled)
    const flipped = y.select(1, 0).select(1, 0).select(1, 2).gt(0.5).float().mean().item();
    // grayscale ⇔ all channels equal
    const gray = y.select(1, 0).sub(y.select(1, 2)).abs().amax([1, 2]).lt(1e-6).float().mean().item();
    // binomial sd: sqrt(.25/2000)=0.011 and sqrt(.16/2000)=0.009; allow ~4 sd
    assert.ok(Math.abs(flipped - 0.5) < 0.045, `flip rate ${flipped}`);
    assert.ok(Math.abs(gray - 0.2) < 0.036, `grayscale rate ${gray}`);
  });
});

test("colour jitter applies with p≈0.8 and crop area follows the scale range", () => {
  tidy(() => {
    const N = 1000;
    const x = rand([1, 3, 16, 16]).expand(N, 3, 16, 16).contiguous();
    const jit = augment(x, { ...off, size: 16, jitter: { strength: 0.5, p: 0.8 } }, { seed: 4 });
    const changed = jit.sub(x).abs().amax([1, 2, 3]).gt(1e-4).float().mean().item();
    assert.ok(Math.abs(changed - 0.8) < 0.06, `jitter rate ${changed}`);
  });
  // Crop boxes from the SimCLR sampler stay inside the image with area in [0.08, 1].
  const r = new Rng(1);
  return import("../../../src/data/augment/geometry.js").then(({ sampleResizedCrop }) => {
    for (let i = 0; i < 500; i++) {
      const b = sampleResizedCrop(r, 32, 32, [0.08, 1], [3 / 4, 4 / 3]);
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= 32 && b.y + b.h <= 32);
      assert.ok((b.w * b.h) / 1024 >= 0.06 && b.w / b.h <= 4 / 3 + 0.1 && b.w / b.h >= 0.75 - 0.1);
    }
  });
});

test("eval transform is deterministic: resize, centre crop, normalise", () => {
  tidy(() => {
    const x = rand([2, 3, 16, 16]);
    const a = evalTransform(x, { size: 8, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } });
    assert.deepEqual(a.shape, [2, 3, 8, 8]);
    // 2× bilinear downscale with align_corners=false = the mean of each 2×2 block
    const block = x.slice(2, 0, 2).slice(3, 0, 2).mean([2, 3]);
    assert.ok(maxAbsDiff(a.slice(2, 0, 1).slice(3, 0, 1).squeeze(3).squeeze(2), block.mul(2).sub(1)) < 1e-5);
    const c = evalTransform(x, { size: 8, cropFraction: 0.5 });
    assert.ok(maxAbsDiff(c, x.slice(2, 4, 12).slice(3, 4, 12)) < 1e-6);
  });
});

test("toFloatImages: uint8 NHWC → float NCHW in [0,1]", () => {
  tidy(() => {
    const u8 = fromTypedArray(new Uint8Array([0, 128, 255, 10, 20, 30]), [1, 1, 2, 3]);
    const f = toFloatImages(u8);
    assert.deepEqual(f.shape, [1, 3, 1, 2]);
    assert.deepEqual(f.mul(255).round().toNumbers(), [0, 10, 128, 20, 255, 30]);
    // the SimCLR pipeline reads the uint8 cache layout directly: same views as from toFloatImages
    const u = fromTypedArray(
      Uint8Array.from({ length: 4 * 12 * 12 * 3 }, (_, i) => (i * 37) % 256),
      [4, 12, 12, 3],
    );
    assert.ok(
      maxAbsDiff(augment(u, simclrCifar(8), { seed: 2 }), augment(toFloatImages(u), simclrCifar(8), { seed: 2 })) <
        1e-5,
    );
    assert.throws(() => augment(u8, faceStudy(8), { seed: 1 }), /float images/);
    assert.throws(() => augment(u8.int(), simclrCifar(), { seed: 1 }), /float images in \[0,1\] \(N,C,H,W\) or uint8/);
    const g = rand([2, 1, 4, 4]);
    const rgb = toRgb(g);
    assert.deepEqual(rgb.shape, [2, 3, 4, 4]);
    assert.equal(maxAbsDiff(rgb.select(1, 2), g.select(1, 0)), 0);
    assert.throws(() => augment(cat([rand([1, 3, 4, 4])]), simclrCifar(), { seeds: [1, 2] }), /1 images but 2 seeds/);
  });
});

test("jitter factors replace the strength: brightness only scales each image by one factor in range", () => {
  tidy(() => {
    const N = 200;
    const x = rand([N, 3, 8, 8]).mul(0.5).add(0.1); // in [0.1, 0.6]: ×1.5 stays below 1, no clamping
    const y = augment(x, { ...off, jitter: { strength: 1, p: 1, factors: [0.5, 0, 0, 0] } }, { seed: 9 });
    const ratio = y.div(x);
    const perImage = ratio
      .amax([1, 2, 3])
      .sub(ratio.amin([1, 2, 3]))
      .max()
      .item();
    assert.ok(perImage < 1e-5, `one factor per image (spread ${perImage})`);
    const f = ratio.amax([1, 2, 3]);
    assert.ok(f.min().item() >= 0.5 - 1e-6 && f.max().item() <= 1.5 + 1e-6);
    assert.ok(f.max().item() - f.min().item() > 0.8, "factors spread over [0.5, 1.5]");
    // hue 0 and saturation 0 leave a colour's chromaticity alone: channel ratios are kept
    const chroma = y
      .select(1, 0)
      .div(y.select(1, 1))
      .sub(x.select(1, 0).div(x.select(1, 1)))
      .abs()
      .max()
      .item();
    assert.ok(chroma < 1e-4, `channel ratios kept (${chroma})`);
  });
});

// The batched augmentation primitives against torchvision 1.13/0.14 values and hand-derived results.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  adjustContrast,
  adjustHue,
  adjustSaturation,
  blurKernelSize,
  coarseDropout,
  cropFlipResize,
  downUpscale,
  gaussianBlur,
  gaussianNoise,
  hashUniform,
  rgbToHsv,
} from "../../../src/data/augment/index.js";
import { arange, full, liveTensors, rand, tensor, tidy } from "../../../src/torch/index.js";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

// A 2×2 RGB image shared by the colour oracles below.
const Y = [
  [
    [0.9, 0.2],
    [0.1, 0.5],
  ],
  [
    [0.3, 0.6],
    [0.8, 0.5],
  ],
  [
    [0.1, 0.4],
    [0.2, 0.1],
  ],
];

test("colour ops match torchvision.transforms.functional", () => {
  tidy(() => {
    const y = tensor([Y]);
    const f = (v: number) => full([1, 1, 1, 1], v);
    // torchvision F.adjust_hue(y, 0.2)
    close(
      adjustHue(y, f(0.2)).toNumbers(),
      [0.54, 0.2, 0.1, 0.1, 0.9, 0.32, 0.56, 0.5, 0.1, 0.6, 0.8, 0.18],
      1e-5,
      "hue",
    );
    // F.adjust_contrast(y, 0.6)
    close(
      adjustContrast(y, f(0.6)).toNumbers(),
      [
        0.729073, 0.309073, 0.249073, 0.489073, 0.369073, 0.549073, 0.669073, 0.489073, 0.249073, 0.429073, 0.309073,
        0.249073,
      ],
      1e-5,
      "contrast",
    );
    // F.adjust_saturation(y, 1.7)
    close(
      adjustSaturation(y, f(1.7)).toNumbers(),
      [1, 0.019694, 0, 0.531955, 0.190443, 0.699694, 0.994397, 0.531955, 0, 0.359694, 0, 0],
      1e-5,
      "saturation",
    );
    // pure red is hue 0, saturation 1, value 1
    const [h, s, v] = rgbToHsv(tensor([[[[1]], [[0]], [[0]]]]));
    assert.deepEqual([h.item(), s.item(), v.item()], [0, 1, 1]);
  });
});

test("Gaussian blur matches torchvision gaussian_blur (kernel 3, sigma 1, reflect)", () => {
  tidy(() => {
    const x = arange(0, 25, 1, { dtype: "float32" }).div(24).view(1, 1, 5, 5);
    // torchvision F.gaussian_blur(x, [3,3], [1.0,1.0]) — first row and centre
    const out = gaussianBlur(x, [1], 3).toNumbers();
    close(out.slice(0, 5), [0.137034, 0.155862, 0.197529, 0.239195, 0.258023], 1e-5, "blur row 0");
    close([out[12] as number], [0.5], 1e-6, "blur centre");
    // per-sample sigma: a tiny sigma is the identity
    const two = x.repeat(2, 1, 1, 1);
    const b = gaussianBlur(two, [1, 1e-3], 3);
    close(b.select(0, 1).toNumbers(), x.toNumbers(), 1e-6, "sigma→0");
    assert.equal(blurKernelSize(32), 3); // google simclr: height//10 = 3 → radius 1
    assert.equal(blurKernelSize(224), 23);
  });
});

test("crop+flip+resize: full box is the identity, a box crops, flip mirrors", () => {
  tidy(() => {
    const x = rand([2, 3, 8, 8]);
    const full8 = { x: 0, y: 0, w: 8, h: 8 };
    close(cropFlipResize(x, [full8, full8], [false, false], 8, 8).toNumbers(), x.toNumbers(), 1e-6, "identity");
    const q = cropFlipResize(x, [{ x: 4, y: 2, w: 4, h: 4 }, full8], [false, true], 4, 4).select(0, 0);
    close(q.toNumbers(), x.select(0, 0).slice(1, 2, 6).slice(2, 4, 8).toNumbers(), 1e-6, "crop");
    const m = cropFlipResize(x, [full8, full8], [true, true], 8, 8);
    close(m.toNumbers(), x.flip([3]).toNumbers(), 1e-6, "flip");
  });
});

test("downscale-upscale makes constant cells; factor 1 keeps the image", () => {
  tidy(() => {
    const x = rand([2, 1, 8, 8]);
    const y = downUpscale(x, [0.5, 1]);
    const a = y.select(0, 0).toNumbers();
    for (let r = 0; r < 8; r++)
      for (let c = 0; c < 8; c++) assert.equal(a[r * 8 + c], a[(r - (r % 2)) * 8 + c - (c % 2)]);
    close(y.select(0, 1).toNumbers(), x.select(0, 1).toNumbers(), 1e-6, "factor 1");
  });
});

test("coarse dropout fills exactly the holes", () => {
  tidy(() => {
    const x = full([2, 3, 6, 6], 0.5);
    const y = coarseDropout(x, [[{ y0: 1, y1: 3, x0: 2, x1: 5 }], []], 0);
    const s = y.sum([1, 2, 3]).toNumbers();
    close(s, [(108 - 3 * 6) * 0.5, 54], 1e-5, "sums");
    const at = (c: number, r: number, col: number) => y.select(0, 0).select(0, c).select(0, r).select(0, col).item();
    assert.equal(at(1, 2, 4), 0); // inside rows 1–2, columns 2–4
    assert.equal(at(1, 3, 4), 0.5); // row 3 is outside
    assert.equal(at(1, 2, 5), 0.5); // column 5 is outside
  });
});

test("device-side hashed noise: uniform moments, deterministic, keyed per sample", () => {
  tidy(() => {
    const u = hashUniform([1, 2], 20000, 0, "cpu");
    const a = u.select(0, 0);
    assert.ok(Math.abs(a.mean().item() - 0.5) < 0.01);
    assert.ok(Math.abs(a.var().item() - 1 / 12) < 0.003);
    assert.ok(a.min().item() > 0 && a.max().item() < 1);
    close(hashUniform([2], 50, 0, "cpu").toNumbers(), u.select(0, 1).slice(0, 0, 50).toNumbers(), 0, "same seed");
    const corr = a.sub(0.5).mul(u.select(0, 1).sub(0.5)).mean().item() * 12;
    assert.ok(Math.abs(corr) < 0.03, `seeds correlated: ${corr}`);
    const x = full([2, 3, 40, 40], 0.5);
    const n = gaussianNoise(x, [7, 8], [0.02, 0.05]).sub(0.5);
    const sd = n.std([1, 2, 3]).toNumbers();
    close(sd, [0.02, 0.05], 0.004, "noise std");
  });
});

test("primitives free their temporaries", () => {
  const start = liveTensors();
  tidy(() => {
    const x = rand([2, 3, 8, 8]);
    gaussianBlur(x, [1, 2], 3);
    gaussianNoise(x, [1, 2], [0.1, 0.1]);
  });
  assert.equal(liveTensors(), start);
});

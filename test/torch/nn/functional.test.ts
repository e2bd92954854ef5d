// nn.functional: known values against PyTorch 1.13, and gradients against float64 finite differences.
// Reference numbers come from /usr/bin/python3 with torch 1.13.1 on the same deterministic inputs:
//   S(shape, off) = sin(arange(numel, float64) * 0.7 + off).reshape(shape)
//   chk(t)        = sum(t.flatten() * cos(arange(numel) * 0.3))   (a weighted checksum)
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { arange, F, manualSeed, ones, rand, type Tensor, tensor, tidy, zeros } from "../../../src/torch/index.js";
import { gradcheck } from "../gradcheck.js";
import { assertClose, leakCheckEachTest } from "../helpers.js";

leakCheckEachTest();

function S(shape: number[], off = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return arange(0, n, 1, { dtype: "float64" }).mul(0.7).add(off).sin().reshape(shape);
}
function chk(t: Tensor): number {
  const flat = t.reshape(-1);
  return flat
    .mul(arange(0, flat.numel, 1, { dtype: "float64" }).mul(0.3).cos())
    .sum()
    .item();
}
const long = (v: number[]) => tensor(v, { dtype: "int64" });
const f64 = (v: number[]) => tensor(v, { dtype: "float64" });
const close = (t: Tensor, shape: number[], values: number[], what: string) => {
  assert.deepEqual(t.shape, shape, `${what} shape`);
  assertClose(t, values, { atol: 1e-8, rtol: 1e-7, what });
};

describe("known values (PyTorch 1.13, float64)", () => {
  test("conv2d with groups, and with stride + dilation", () =>
    tidy(() => {
      const y = F.conv2d(S([1, 2, 4, 4]), S([4, 1, 3, 3], 1), S([4], 2), { padding: 1, groups: 2 });
      assert.deepEqual(y.shape, [1, 4, 4, 4]);
      assertClose(chk(y), 1.8360558580589723, { atol: 1e-9 });
      assertClose(
        y.reshape(-1).narrow(0, 0, 6),
        [0.0450274978, -0.8845081213, -0.1809956301, 1.559425397, 1.7236328723, 4.0504181548],
        { atol: 1e-8 },
      );
      const z = F.conv2d(S([1, 2, 6, 6]), S([3, 2, 3, 3], 0.5), null, { stride: 2, padding: 1, dilation: 2 });
      close(
        z,
        [1, 3, 2, 2],
        [
          -1.1058894962, -5.0349292461, -3.2946529239, 3.1602488348, -0.9581106055, -5.0140016595, -3.4484216399,
          2.9265935303, -0.8092482555, -4.9874040945, -3.5982907808, 2.6896287489,
        ],
        "conv stride dilation",
      );
    }));

  test("batch_norm training updates running stats; eval uses them", () =>
    tidy(() => {
      const x = S([3, 2, 2]);
      const rm = zeros([2], { dtype: "float64" });
      const rv = ones([2], { dtype: "float64" });
      const o = { weight: S([2], 1), bias: S([2], 2), momentum: 0.1, eps: 1e-5 };
      const y = F.batchNorm(x, rm, rv, { ...o, training: true });
      close(
        y,
        [3, 2, 2],
        [
          0.9046119957, 2.2010179537, 1.2519580471, 1.1104198431, 1.578732937, 0.1987054747, -0.8982323407,
          -1.0266130849, -0.3657316268, 0.9384478266, 0.8716411011, 1.2551057157,
        ],
        "bn train",
      );
      // running_var uses the unbiased batch variance: 0.9·1 + 0.1·var_unbiased
      close(rm, [2], [0.0002328312, 0.0273297591], "running_mean");
      close(rv, [2], [0.9209806022, 0.9880211491], "running_var");
      const e = F.batchNorm(x, rm, rv, { ...o, training: false });
      close(
        e,
        [3, 2, 2],
        [
          0.9090932753, 1.4739576568, 1.3832513005, 1.2612978153, 1.2028183282, 0.6015187474, -0.4694160672,
          -0.5800326976, 0.3555846615, 0.9238360768, 1.0555590184, 1.3859634245,
        ],
        "bn eval",
      );
    }));

  test("layer_norm, linear, gelu, prelu", () =>
    tidy(() => {
      close(
        F.layerNorm(S([2, 5]), [5], S([5], 1), S([5], 2)),
        [2, 5],
        [
          -0.4166172387, 0.6446610724, 0.5346120393, -0.7837972753, -0.6030953495, 1.4038751067, -0.4143999453,
          -1.0355048692, -0.8260095019, -1.9762215968,
        ],
        "layer_norm",
      );
      close(
        F.linear(S([2, 3]), S([4, 3], 1), S([4], 2)),
        [2, 4],
        [
          2.2137804464, -0.9300965857, -0.1893907098, 0.4724078192, 1.7309178684, 0.6012087243, -1.2526751732,
          0.0146925481,
        ],
        "linear",
      );
      close(
        F.gelu(S([6]).mul(2)),
        [6],
        [0.0, 1.1611415339, 1.9228731959, 1.6536742604, 0.5015198384, -0.1694106115],
        "gelu",
      );
      close(
        F.gelu(S([6]).mul(2), "tanh"),
        [6],
        [0.0, 1.1609124363, 1.9229459793, 1.6535577433, 0.5014719497, -0.1694663235],
        "gelu tanh",
      );
      close(
        F.prelu(S([2, 2, 3]), f64([0.25, -0.5])),
        [2, 2, 3],
        [
          0.0, 0.6442176872, 0.98544973, 0.8632093666, 0.3349881502, 0.1753916138, -0.2178939431, -0.2456131532,
          -0.1578166595, 0.0168139005, 0.6569865987, 0.9881682339,
        ],
        "prelu",
      );
      close(F.relu(f64([-1, 0, 2])), [3], [0, 0, 2], "relu");
    }));

  test("pooling", () =>
    tidy(() => {
      close(
        F.maxPool2d(S([1, 1, 4, 4]), 2),
        [1, 1, 2, 2],
        [0.6442176872, 0.98544973, 0.8545989081, 0.9881682339],
        "max k2",
      );
      close(
        F.maxPool2d(S([1, 1, 5, 5]), 3, { stride: 2, padding: 1 }),
        [1, 1, 3, 3],
        [
          0.6442176872, 0.98544973, 0.8632093666, 0.9881682339, 0.9881682339, 0.6695697622, 0.9906073557, 0.8457468311,
          0.6695697622,
        ],
        "max k3s2p1",
      );
      close(
        F.avgPool2d(S([1, 1, 4, 4]), 2),
        [1, 1, 2, 2],
        [0.1571056524, -0.0013423221, 0.1398111333, 0.0997449858],
        "avg k2",
      );
      close(
        F.adaptiveAvgPool2d(S([1, 1, 5, 5]), [2, 3]),
        [1, 1, 2, 3],
        [0.1778355866, 0.2410496961, 0.0893940021, 0.2704392551, 0.1516630534, -0.1023044014],
        "adaptive 2x3",
      );
    }));

  test("softmax, log_softmax and the losses", () =>
    tidy(() => {
      close(
        F.softmax(S([2, 4]), 1),
        [2, 4],
        [
          0.1257186375, 0.2394307094, 0.3368022975, 0.2980483557, 0.4829179728, 0.2432465244, 0.1445004885,
          0.1293350143,
        ],
        "softmax",
      );
      close(
        F.logSoftmax(S([2, 4]), 1),
        [2, 4],
        [
          -2.073708905, -1.4294912178, -1.088259175, -1.2104995383, -0.7279084683, -1.4136798461, -1.9344723909,
          -2.0453492311,
        ],
        "log_softmax",
      );
      const lg = S([3, 4]).mul(2);
      const tg = long([0, 3, 1]);
      assertClose(F.crossEntropy(lg, tg), 2.7707120812, { atol: 1e-8 });
      assertClose(F.crossEntropy(lg, tg, { labelSmoothing: 0.1 }), 2.6787735768, { atol: 1e-8 });
      close(
        F.crossEntropy(lg, tg, { reduction: "none", labelSmoothing: 0.2 }),
        [3],
        [2.6086025265, 2.7759964629, 2.3759062278],
        "ce none ls",
      );
      assertClose(F.crossEntropy(lg, tg, { weight: f64([1, 2, 3, 4]) }), 2.818624658, { atol: 1e-8 });
      assertClose(F.crossEntropy(lg, F.softmax(S([3, 4], 1), 1)), 1.8436953001, { atol: 1e-8 });
      assertClose(F.crossEntropy(lg, long([0, -100, 1])), 2.665070541, { atol: 1e-8 });
      assertClose(F.nllLoss(F.logSoftmax(lg, 1), tg), 2.7707120812, { atol: 1e-8 });
      assertClose(F.mseLoss(S([5]), S([5], 1)), 0.4992951471, { atol: 1e-8 });
      assertClose(F.binaryCrossEntropyWithLogits(S([5]).mul(3), f64([1, 0, 1, 1, 0])), 0.8401916457, { atol: 1e-8 });
    }));

  test("normalize, cosine_similarity, one_hot", () =>
    tidy(() => {
      close(
        F.normalize(S([2, 3])),
        [2, 3],
        [0.0, 0.5471810381, 0.837014284, 0.8717968644, 0.3383207252, -0.3542729375],
        "normalize",
      );
      close(
        F.normalize(S([2, 3]), 1, 0),
        [2, 3],
        [0.0, 0.6578981279, 0.7374834787, 1.0, 0.3421018721, -0.2625165213],
        "normalize p1 d0",
      );
      close(
        F.normalize(zeros([1, 3], { dtype: "float64" })),
        [1, 3],
        [0, 0, 0],
        "normalize of zero vector (eps, no NaN)",
      );
      close(F.cosineSimilarity(S([2, 3]), S([2, 3], 1)), [2], [0.7560450748, 0.1521330754], "cosine_similarity");
      assert.deepEqual(F.oneHot(long([2, 0]), 3).toArray(), [
        [0, 0, 1],
        [1, 0, 0],
      ]);
    }));

  test("interpolate, grid_sample, affine_grid, pad", () =>
    tidy(() => {
      close(
        F.interpolate(S([1, 1, 2, 3]), { size: [3, 5], mode: "bilinear" }),
        [1, 1, 3, 5],
        [
          0.0, 0.2576870749, 0.6442176872, 0.8489569129, 0.98544973, 0.4316046833, 0.4548039775, 0.4896029187,
          0.3862411182, 0.3173332511, 0.8632093666, 0.6519208801, 0.3349881502, -0.0764746766, -0.3507832277,
        ],
        "bilinear",
      );
      close(
        F.interpolate(S([1, 1, 2, 3]), { size: [3, 5], mode: "bilinear", alignCorners: true }),
        [1, 1, 3, 5],
        [
          0.0, 0.3221088436, 0.6442176872, 0.8148337086, 0.98544973, 0.4316046833, 0.460603801, 0.4896029187,
          0.4034680849, 0.3173332511, 0.8632093666, 0.5990987584, 0.3349881502, -0.0078975388, -0.3507832277,
        ],
        "bilinear align corners",
      );
      close(
        F.interpolate(S([1, 1, 2, 2]), { scaleFactor: 2 }),
        [1, 1, 4, 4],
        [
          0.0, 0.0, 0.6442176872, 0.6442176872, 0.0, 0.0, 0.6442176872, 0.6442176872, 0.98544973, 0.98544973,
          0.8632093666, 0.8632093666, 0.98544973, 0.98544973, 0.8632093666, 0.8632093666,
        ],
        "nearest x2",
      );
      const grid = S([1, 2, 2, 2], 0.3).mul(0.9);
      close(
        F.gridSample(S([1, 1, 3, 3]), grid),
        [1, 1, 2, 2],
        [-0.7277990253, -0.4010821254, 0.5995383742, 0.0],
        "grid_sample",
      );
      close(
        F.gridSample(S([1, 1, 3, 3]), grid.mul(1.5), { paddingMode: "border", alignCorners: true }),
        [1, 1, 2, 2],
        [-0.8423461676, -0.6065491197, 0.5995383742, 0.0],
        "grid_sample border",
      );
      const theta = tensor(
        [
          [
            [0.8, -0.2, 0.1],
            [0.3, 0.9, -0.1],
          ],
        ],
        { dtype: "float64" },
      );
      close(
        F.affineGrid(theta, [1, 1, 2, 3]),
        [1, 2, 3, 2],
        [-0.3333333333, -0.75, 0.2, -0.55, 0.7333333333, -0.35, -0.5333333333, 0.15, 0.0, 0.35, 0.5333333333, 0.55],
        "affine_grid",
      );
      close(
        F.pad(S([1, 1, 2, 3]), [1, 1, 1, 0], "reflect"),
        [1, 1, 3, 5],
        [
          0.3349881502, 0.8632093666, 0.3349881502, -0.3507832277, 0.3349881502, 0.6442176872, 0.0, 0.6442176872,
          0.98544973, 0.6442176872, 0.3349881502, 0.8632093666, 0.3349881502, -0.3507832277, 0.3349881502,
        ],
        "pad reflect",
      );
      assert.deepEqual(F.pad(tensor([[1, 2]]), [2, 1], "constant", 9).toArray(), [[9, 9, 1, 2, 9]]);
      assert.deepEqual(F.pad(tensor([[[[1, 2]]]]), [1, 1, 0, 1], "replicate").toArray(), [
        [
          [
            [1, 1, 2, 2],
            [1, 1, 2, 2],
          ],
        ],
      ]);
    }));

  test("dropout: identity in eval and for p=0, zeros for p=1, scaled survivors otherwise", () =>
    tidy(() => {
      const x = ones([1000], { dtype: "float64" });
      assertClose(F.dropout(x, 0.5, false), x);
      assertClose(F.dropout(x, 0), x);
      assert.equal(F.dropout(x, 1).abs().sum().item(), 0);
      manualSeed(0);
      const y = F.dropout(x, 0.25).toNumbers();
      assert.ok(
        y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-12),
        "survivors are scaled by 1/(1-p)",
      );
      const kept = y.filter((v) => v !== 0).length;
      assert.ok(kept > 700 && kept < 800, `about 750 of 1000 kept, got ${kept}`); // binomial sd ≈ 14
    }));
});

/** A float64 leaf requiring grad, uniform in [lo, hi). */
function x64(shape: number[], lo = -1, hi = 1): Tensor {
  return tidy(() =>
    rand(shape, { dtype: "float64" })
      .mul(hi - lo)
      .add(lo),
  ).requiresGrad_();
}

describe("gradients (float64 finite differences)", () => {
  test("conv2d: plain, groups, stride + dilation, bias", () =>
    tidy(() => {
      manualSeed(10);
      const x = x64([2, 4, 5, 5]);
      const w = x64([6, 2, 3, 3]);
      const b = x64([6]);
      gradcheck((a, c, d) => F.conv2d(a, c, d, { padding: 1, groups: 2 }), [x, w, b], { name: "conv2d groups" });
      const w1 = x64([3, 4, 2, 2]);
      gradcheck((a, c) => F.conv2d(a, c, null, { stride: 2, padding: [1, 0], dilation: 2 }), [x, w1], {
        name: "conv2d stride dil",
      });
      const wd = x64([4, 1, 3, 3]);
      gradcheck((a, c) => F.conv2d(a, c, null, { groups: 4 }), [x, wd], { name: "depthwise conv2d" });
    }));

  test("batch_norm (training and eval), layer_norm, linear", () =>
    tidy(() => {
      manualSeed(11);
      const x = x64([4, 3, 2, 2]);
      const w = x64([3], 0.5, 1.5);
      const b = x64([3]);
      gradcheck((a, c, d) => F.batchNorm(a, null, null, { weight: c, bias: d, training: true }), [x, w, b], {
        name: "bn train",
      });
      const rm = rand([3], { dtype: "float64" });
      const rv = rand([3], { dtype: "float64" }).add(0.5);
      gradcheck((a, c, d) => F.batchNorm(a, rm, rv, { weight: c, bias: d, training: false }), [x, w, b], {
        name: "bn eval",
      });
      const y = x64([3, 5]);
      const lw = x64([5], 0.5, 1.5);
      const lb = x64([5]);
      gradcheck((a, c, d) => F.layerNorm(a, [5], c, d), [y, lw, lb], { name: "layer_norm" });
      gradcheck((a) => F.layerNorm(a, [3, 2, 2]), [x], { name: "layer_norm 3 dims" });
      const lin = x64([4, 5]);
      const lbias = x64([4]);
      gradcheck((a, c, d) => F.linear(a, c, d), [y, lin, lbias], { name: "linear" });
    }));

  test("activations: relu, prelu (input and slopes), gelu, leaky_relu, silu", () =>
    tidy(() => {
      manualSeed(12);
      const x = x64([2, 3, 4]);
      const a = x64([3], 0, 0.5);
      gradcheck((t) => F.relu(t), [x], { name: "relu" });
      gradcheck((t, s) => F.prelu(t, s), [x, a], { name: "prelu" });
      gradcheck((t) => F.gelu(t), [x], { name: "gelu" });
      gradcheck((t) => F.gelu(t, "tanh"), [x], { name: "gelu tanh" });
      gradcheck((t) => F.leakyRelu(t, 0.1), [x], { name: "leaky_relu" });
      gradcheck((t) => F.silu(t), [x], { name: "silu" });
    }));

  test("pooling: max, avg, adaptive avg", () =>
    tidy(() => {
      manualSeed(13);
      const x = x64([2, 2, 5, 5]);
      gradcheck((t) => F.maxPool2d(t, 2), [x], { name: "max_pool2d k2" });
      gradcheck((t) => F.maxPool2d(t, 3, { stride: 2, padding: 1 }), [x], { name: "max_pool2d k3s2p1" });
      gradcheck((t) => F.avgPool2d(t, 2, { stride: 1 }), [x], { name: "avg_pool2d" });
      gradcheck((t) => F.adaptiveAvgPool2d(t, [2, 3]), [x], { name: "adaptive_avg_pool2d" });
      gradcheck((t) => F.adaptiveAvgPool2d(t, 1), [x], { name: "global avg pool" });
    }));

  test("softmax, log_softmax, cross_entropy (label smoothing, weights, probabilities), nll, mse, bce", () =>
    tidy(() => {
      manualSeed(14);
      const lg = x64([4, 5], -2, 2);
      const tg = long([0, 4, 2, 2]);
      gradcheck((t) => F.softmax(t, 1), [lg], { name: "softmax" });
      gradcheck((t) => F.logSoftmax(t, 0), [lg], { name: "log_softmax" });
      gradcheck((t) => F.crossEntropy(t, tg), [lg], { name: "ce" });
      gradcheck((t) => F.crossEntropy(t, tg, { labelSmoothing: 0.1 }), [lg], { name: "ce label smoothing" });
      gradcheck(
        (t) => F.crossEntropy(t, tg, { reduction: "sum", labelSmoothing: 0.3, weight: f64([1, 2, 1, 3, 0.5]) }),
        [lg],
        {
          name: "ce weighted smoothing",
        },
      );
      const probs = x64([4, 5]);
      gradcheck((t, p) => F.crossEntropy(t, F.softmax(p, 1)), [lg, probs], { name: "ce soft targets" });
      gradcheck((t) => F.nllLoss(F.logSoftmax(t, 1), tg), [lg], { name: "nll" });
      const y = x64([4, 5]);
      gradcheck((t, u) => F.mseLoss(t, u), [lg, y], { name: "mse" });
      const bt = rand([4, 5], { dtype: "float64" });
      gradcheck((t) => F.binaryCrossEntropyWithLogits(t, bt), [lg], { name: "bce with logits" });
    }));

  test("normalize, cosine_similarity, embedding", () =>
    tidy(() => {
      manualSeed(15);
      const a = x64([3, 4]);
      const b = x64([3, 4]);
      gradcheck((t) => F.normalize(t), [a], { name: "normalize" });
      gradcheck((t) => F.normalize(t, 2, 0), [a], { name: "normalize dim 0" });
      gradcheck((t, u) => F.cosineSimilarity(t, u), [a, b], { name: "cosine_similarity" });
      const w = x64([5, 3]);
      gradcheck((t) => F.embedding(long([4, 0, 4]), t), [w], { name: "embedding" });
    }));

  test("interpolate, grid_sample (input and grid), affine_grid, pad", () =>
    tidy(() => {
      manualSeed(16);
      const x = x64([1, 2, 3, 4]);
      gradcheck((t) => F.interpolate(t, { size: [5, 7], mode: "bilinear" }), [x], { name: "bilinear" });
      gradcheck((t) => F.interpolate(t, { size: [5, 7], mode: "bilinear", alignCorners: true }), [x], {
        name: "bilinear ac",
      });
      gradcheck((t) => F.interpolate(t, { scaleFactor: 2 }), [x], { name: "nearest" });
      const grid = x64([1, 3, 2, 2], -0.9, 0.9);
      gradcheck((t, g) => F.gridSample(t, g), [x, grid], { name: "grid_sample" });
      gradcheck((t, g) => F.gridSample(t, g, { paddingMode: "border", alignCorners: true }), [x, grid], {
        name: "grid_sample border",
      });
      const theta = x64([2, 2, 3]);
      gradcheck((th) => F.affineGrid(th, [2, 1, 3, 4]), [theta], { name: "affine_grid" });
      gradcheck((t) => F.pad(t, [1, 2, 0, 1]), [x], { name: "pad constant" });
      gradcheck((t) => F.pad(t, [1, 1, 2, 1], "reflect"), [x], { name: "pad reflect" });
      gradcheck((t) => F.pad(t, [1, 1, 2, 1], "replicate"), [x], { name: "pad replicate" });
    }));

  test("dropout with a fixed mask", () =>
    tidy(() => {
      const x = x64([20]);
      // Reseeding inside fn draws the same mask for every evaluation.
      gradcheck(
        (t) => {
          manualSeed(3);
          return F.dropout(t, 0.4);
        },
        [x],
        { name: "dropout" },
      );
    }));
});

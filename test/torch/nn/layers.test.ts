// Layers: PyTorch default initialisation, gradients of every module in float64 (input and
// parameters), BatchNorm running statistics against PyTorch 1.13, and shape/argument errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { arange, manualSeed, nn, noGrad, rand, randn, type Tensor, tensor, tidy } from "../../../src/torch/index.js";
import { gradcheck } from "../gradcheck.js";
import { assertClose, leakCheckEachTest } from "../helpers.js";

leakCheckEachTest();

function S(shape: number[], off = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return arange(0, n, 1, { dtype: "float64" }).mul(0.7).add(off).sin().reshape(shape);
}

function x64(shape: number[], lo = -1, hi = 1): Tensor {
  return tidy(() =>
    rand(shape, { dtype: "float64" })
      .mul(hi - lo)
      .add(lo),
  ).requiresGrad_();
}

/** Checks d(module(x))/dx and d/d(every parameter) by finite differences. */
function checkModule(name: string, m: nn.Module, x: Tensor): void {
  const params = m.parameters();
  gradcheck((input) => m.call(input), [x, ...params], { name });
}

describe("default initialisation", () => {
  /**
   * n uniform samples on ±bound: all inside; the largest |w| above (1 - 14/n)·bound (fails with
   * probability < 1e-6); std and mean within 5 standard errors of bound/√3 and 0.
   */
  function assertUniform(t: Tensor, bound: number, what: string) {
    tidy(() => {
      const n = t.numel;
      const maxAbs = t.abs().max().item();
      assert.ok(maxAbs <= bound, `${what}: max |w| ${maxAbs} exceeds bound ${bound}`);
      assert.ok(maxAbs > (1 - 14 / n) * bound, `${what}: max |w| ${maxAbs} far below bound ${bound}`);
      const std = t.std().item();
      const expected = bound / Math.sqrt(3);
      // the sample std of a uniform has relative standard error ≈ sqrt(0.8 / (4n))
      assert.ok(
        Math.abs(std - expected) < 5 * Math.sqrt(0.2 / n) * expected,
        `${what}: std ${std}, expected ≈ ${expected}`,
      );
      assert.ok(Math.abs(t.mean().item()) < (5 * expected) / Math.sqrt(n), `${what}: mean near 0`);
    });
  }

  test("Conv2d: kaiming_uniform(a=√5) gives U(±1/√fan_in) weights and biases", () => {
    manualSeed(0);
    using c = new nn.Conv2d(16, 32, 3);
    const fanIn = 16 * 9;
    assert.deepEqual(c.weight.shape, [32, 16, 3, 3]);
    assertUniform(c.weight, 1 / Math.sqrt(fanIn), "conv weight");
    assertUniform(c.bias as Tensor, 1 / Math.sqrt(fanIn), "conv bias");
    using g = new nn.Conv2d(8, 16, 3, { groups: 4 });
    assert.deepEqual(g.weight.shape, [16, 2, 3, 3]);
    assertUniform(g.weight, 1 / Math.sqrt(2 * 9), "grouped conv weight (fan_in counts in/groups)");
  });

  test("Linear: U(±1/√in) weights and biases", () => {
    manualSeed(0);
    using l = new nn.Linear(100, 300);
    assertUniform(l.weight, 0.1, "linear weight");
    assertUniform(l.bias as Tensor, 0.1, "linear bias");
    using nb = new nn.Linear(3, 2, { bias: false });
    assert.equal(nb.bias, null);
    assert.deepEqual(
      nb.namedParameters().map(([k]) => k),
      ["weight"],
    );
  });

  test("BatchNorm: weight 1, bias 0, running mean 0 / var 1, no batches; PReLU 0.25", () =>
    tidy(() => {
      using bn = new nn.BatchNorm2d(5);
      assert.deepEqual(bn.weight?.toNumbers(), [1, 1, 1, 1, 1]);
      assert.deepEqual(bn.bias?.toNumbers(), [0, 0, 0, 0, 0]);
      assert.deepEqual(bn.runningMean?.toNumbers(), [0, 0, 0, 0, 0]);
      assert.deepEqual(bn.runningVar?.toNumbers(), [1, 1, 1, 1, 1]);
      assert.equal(bn.numBatchesTracked?.item(), 0);
      assert.equal(bn.runningMean?.requiresGrad, false);
      using p = new nn.PReLU(3);
      assert.deepEqual(p.weight.toNumbers(), [0.25, 0.25, 0.25]);
    }));

  test("init functions follow torch.nn.init's formulas", () =>
    tidy(() => {
      manualSeed(1);
      const w = randn([256, 128]).requiresGrad_(); // fan_in 128, fan_out 256
      assert.equal(nn.init.kaimingNormal_(w, { mode: "fan_out", nonlinearity: "relu" }), w, "returns its argument");
      assert.ok(w.isLeaf && w.requiresGrad, "in place without recording");
      assertClose(w.std().item(), Math.sqrt(2 / 256), { rtol: 0.03 });
      nn.init.kaimingUniform_(w, { nonlinearity: "relu" });
      assertClose(w.abs().max().item(), Math.sqrt(6 / 128), { rtol: 0.02 });
      nn.init.xavierUniform_(w, 2);
      assertClose(w.abs().max().item(), 2 * Math.sqrt(6 / 384), { rtol: 0.02 });
      nn.init.xavierNormal_(w);
      assertClose(w.std().item(), Math.sqrt(2 / 384), { rtol: 0.03 });
      nn.init.normal_(w, 3, 0.5);
      assertClose(w.mean().item(), 3, { atol: 0.01 });
      assertClose(w.std().item(), 0.5, { rtol: 0.03 });
      nn.init.uniform_(w, 2, 4);
      assert.ok(w.min().item() >= 2 && w.max().item() < 4);
      nn.init.constant_(w, 0.3);
      assertClose(w.mean().item(), 0.3);
      nn.init.ones_(w);
      assert.equal(w.sum().item(), 256 * 128);
      nn.init.zeros_(w);
      assert.equal(w.abs().sum().item(), 0);
      assert.equal(nn.init.calculateGain("relu"), Math.SQRT2);
      assertClose(nn.init.calculateGain("leaky_relu", Math.sqrt(5)), Math.sqrt(1 / 3));
      assert.equal(nn.init.calculateGain("tanh"), 5 / 3);
      assert.deepEqual(nn.init.calculateFanInAndFanOut(randn([8, 4, 3, 3])), { fanIn: 36, fanOut: 72 });
      assert.throws(() => nn.init.kaimingUniform_(randn([5])), /fewer than 2 dimensions/);
    }));
});

describe("module gradients (float64 finite differences, input and parameters)", () => {
  const f64 = { dtype: "float64" } as const;
  test("Conv2d: plain, grouped with stride/dilation, no bias", () =>
    tidy(() => {
      manualSeed(2);
      using c = new nn.Conv2d(2, 3, 3, { padding: 1, ...f64 });
      checkModule("conv", c, x64([2, 2, 4, 4]));
      using g = new nn.Conv2d(4, 4, [3, 2], { stride: 2, dilation: [1, 2], groups: 2, bias: false, ...f64 });
      checkModule("grouped conv", g, x64([1, 4, 5, 6]));
    }));

  test("Linear", () =>
    tidy(() => {
      manualSeed(3);
      using l = new nn.Linear(4, 3, f64);
      checkModule("linear", l, x64([2, 4]));
      checkModule("linear on 3-D input", l, x64([2, 2, 4]));
    }));

  test("BatchNorm1d/2d in training and eval mode", () =>
    tidy(() => {
      manualSeed(4);
      using b1 = new nn.BatchNorm1d(3, f64);
      nn.init.uniform_(b1.weight as Tensor, 0.5, 1.5);
      nn.init.uniform_(b1.bias as Tensor, -1, 1);
      checkModule("bn1d train", b1, x64([4, 3]));
      checkModule("bn1d train (N,C,L)", b1, x64([2, 3, 3]));
      b1.eval();
      checkModule("bn1d eval", b1, x64([4, 3]));
      using b2 = new nn.BatchNorm2d(2, f64);
      nn.init.uniform_(b2.weight as Tensor, 0.5, 1.5);
      checkModule("bn2d train", b2, x64([2, 2, 2, 3]));
      b2.eval();
      checkModule("bn2d eval", b2, x64([2, 2, 2, 3]));
    }));

  test("ReLU, PReLU, Dropout, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Identity", () =>
    tidy(() => {
      manualSeed(5);
      const x = x64([2, 3, 4, 4]);
      using relu = new nn.ReLU();
      checkModule("relu", relu, x);
      using prelu = new nn.PReLU(3, 0.1, f64);
      checkModule("prelu per channel", prelu, x);
      using prelu1 = new nn.PReLU(1, 0.2, f64);
      checkModule("prelu shared", prelu1, x);
      using mp = new nn.MaxPool2d(2);
      checkModule("maxpool", mp, x);
      using mp3 = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
      checkModule("maxpool k3 s2 p1", mp3, x);
      using ap = new nn.AvgPool2d(2, { stride: 1 });
      checkModule("avgpool", ap, x);
      using aap = new nn.AdaptiveAvgPool2d([1, 1]);
      checkModule("adaptive avgpool", aap, x);
      using fl = new nn.Flatten();
      checkModule("flatten", fl, x);
      using id = new nn.Identity();
      checkModule("identity", id, x);
      using drop = new nn.Dropout(0.3);
      gradcheck(
        (t) => {
          manualSeed(9); // the same mask on every evaluation
          return drop.call(t);
        },
        [x],
        { name: "dropout" },
      );
    }));

  test("LayerNorm, GELU, Sigmoid, Tanh", () =>
    tidy(() => {
      manualSeed(7);
      using ln = new nn.LayerNorm([2, 3], f64);
      nn.init.uniform_(ln.weight as Tensor, 0.5, 1.5);
      nn.init.uniform_(ln.bias as Tensor, -1, 1);
      checkModule("layer norm", ln, x64([4, 2, 3]));
      assert.deepEqual([...ln.stateDict({ keepVars: true }).keys()], ["weight", "bias"]);
      using plain = new nn.LayerNorm(3, { elementwiseAffine: false, dtype: "float64" });
      assert.equal(plain.parameters().length, 0);
      assertClose(plain.call(S([2, 3])).sum(1), [0, 0], { atol: 1e-12 });
      assert.throws(() => plain.call(S([3, 2])), /expected input with shape \[\*, 3\], got \[3,2\]/);
      using gelu = new nn.GELU("tanh");
      checkModule("gelu", gelu, x64([5]));
      using sig = new nn.Sigmoid();
      checkModule("sigmoid", sig, x64([5]));
      using tanh = new nn.Tanh();
      checkModule("tanh", tanh, x64([5]));
    }));

  test("Sequential of conv, BN, ReLU, pool, flatten, linear", () =>
    tidy(() => {
      manualSeed(6);
      using net = new nn.Sequential(
        new nn.Conv2d(2, 3, 3, { padding: 1, bias: false, ...f64 }),
        new nn.BatchNorm2d(3, f64),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.AdaptiveAvgPool2d(1),
        new nn.Flatten(),
        new nn.Linear(3, 2, f64),
      );
      checkModule("sequential", net, x64([3, 2, 4, 4]));
    }));
});

describe("BatchNorm running statistics (PyTorch 1.13 reference)", () => {
  // Reference: torch.nn.BatchNorm2d(2, momentum=m).double() with weight [1.5, 0.5], bias [0.1, -0.2],
  // two training calls on S([2,2,2,2]) and 2*S([2,2,2,2], 1), then eval on S([1,2,2,2], 0.5).
  const cases = [
    {
      momentum: 0.1,
      mean: [0.17375238986698985, -0.1544359610990892],
      var: [0.8858738134872094, 0.9003389041325961],
      evalOut: [
        0.5871471518831176, 1.3084712221786055, 1.3311987871559003, 0.6446407178781821, -0.2017440474328134,
        -0.5174135219531512, -0.6455245844052951, -0.5258246003274328,
      ],
    },
    {
      momentum: null, // cumulative moving average
      mean: [0.8907843173292169, -0.7843191872539309],
      var: [0.39641331829029336, 0.4747580303144282],
      evalOut: [
        -0.8800143434994963, 0.19828467938076003, 0.232259853808844, -0.7940678756255164, 0.2546752207449796,
        -0.18003242023967664, -0.3564538427647156, -0.19161529515584313,
      ],
    },
  ];
  for (const c of cases) {
    test(`BatchNorm2d after two training steps, momentum ${c.momentum}`, () =>
      tidy(() => {
        using bn = new nn.BatchNorm2d(2, { momentum: c.momentum, dtype: "float64" });
        noGrad(() => {
          bn.weight?.copy_(tensor([1.5, 0.5]));
          bn.bias?.copy_(tensor([0.1, -0.2]));
        });
        bn.call(S([2, 2, 2, 2]));
        bn.call(S([2, 2, 2, 2], 1).mul(2));
        assertClose(bn.runningMean as Tensor, c.mean, { atol: 1e-12, what: "running_mean" });
        assertClose(bn.runningVar as Tensor, c.var, { atol: 1e-12, what: "running_var" });
        assert.equal(bn.numBatchesTracked?.item(), 2);
        bn.eval();
        assertClose(bn.call(S([1, 2, 2, 2], 0.5)), c.evalOut, { atol: 1e-12, what: "eval output" });
        assert.equal(bn.numBatchesTracked?.item(), 2);
      }));
  }

  test("BatchNorm1d momentum 0.3 after two steps", () =>
    tidy(() => {
      using bn = new nn.BatchNorm1d(3, { momentum: 0.3, dtype: "float64" });
      bn.call(S([4, 3]));
      bn.call(S([4, 3], 2).add(1));
      assertClose(bn.runningMean as Tensor, [0.3687011994752859, 0.36595435481021865, 0.3321881465126838], {
        atol: 1e-12,
      });
      assertClose(bn.runningVar as Tensor, [0.8063673078475233, 0.7807022324996871, 0.8012597340698323], {
        atol: 1e-12,
      });
    }));

  test("trackRunningStats=false: no buffers, batch statistics also in eval; affine=false: no parameters", () =>
    tidy(() => {
      using bn = new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false, dtype: "float64" });
      assert.deepEqual([...bn.stateDict({ keepVars: true }).keys()], []);
      bn.eval();
      const y = bn.call(S([3, 2, 2, 2]));
      // normalised per channel with batch statistics: mean 0, biased variance 1 (up to eps)
      assertClose(y.mean([0, 2, 3]), [0, 0], { atol: 1e-12 });
      assertClose(y.var([0, 2, 3], { unbiased: false }), [1, 1], { atol: 1e-4 });
      bn.resetRunningStats(); // nothing to reset, must not throw
    }));

  test("resetRunningStats restores the initial buffers", () =>
    tidy(() => {
      using bn = new nn.BatchNorm1d(2);
      bn.call(randn([4, 2]).add(3));
      bn.resetRunningStats();
      assert.deepEqual(bn.runningMean?.toNumbers(), [0, 0]);
      assert.deepEqual(bn.runningVar?.toNumbers(), [1, 1]);
      assert.equal(bn.numBatchesTracked?.item(), 0);
    }));
});

describe("layer argument and input errors", () => {
  test("constructors reject bad sizes", () => {
    assert.throws(() => new nn.Conv2d(3, 8, 3, { groups: 2 }), /divisible by groups/);
    assert.throws(() => new nn.Conv2d(0, 8, 3), /inChannels must be a positive integer/);
    assert.throws(() => new nn.Linear(2.5, 3), /inFeatures must be a positive integer/);
    assert.throws(() => new nn.BatchNorm2d(-1), /numFeatures must be a positive integer/);
    assert.throws(() => new nn.Dropout(1.5), /between 0 and 1/);
    assert.throws(() => new nn.PReLU(0), /numParameters/);
  });

  test("forward rejects wrong input shapes with a clear message", () =>
    tidy(() => {
      using conv = new nn.Conv2d(3, 4, 3);
      assert.throws(() => conv.call(randn([2, 4, 8, 8])), /expects 3 input channels, input has 4/);
      assert.throws(
        () => conv.call(randn([8, 8])),
        /Expected 3 or 4-D input \(N,C,H,W\) for conv2d but received shape \[8,8\]/,
      );
      using lin = new nn.Linear(5, 2);
      assert.throws(() => lin.call(randn([3, 4])), /input has 4 features but weight \[2,5\] expects 5/);
      using bn = new nn.BatchNorm2d(3);
      assert.throws(() => bn.call(randn([2, 3, 4])), /expected 4D input \(got 3D input/);
      assert.throws(() => bn.call(randn([2, 5, 4, 4])), /input has 5 channels but the layer has numFeatures=3/);
      using bn1 = new nn.BatchNorm1d(3);
      assert.throws(() => bn1.call(randn([1, 3])), /more than 1 value per channel when training/);
      assert.equal(bn1.numBatchesTracked?.item(), 1, "PyTorch also counts the batch before failing");
      bn1.eval();
      assert.deepEqual(bn1.call(randn([1, 3])).shape, [1, 3], "a single sample is fine in eval");
      using prelu = new nn.PReLU(3);
      assert.throws(() => prelu.call(randn([2, 4, 2])), /3 parameters but the input has 4 channels/);
      using mp = new nn.MaxPool2d(2);
      assert.throws(() => mp.call(randn([4, 4])), /max_pool2d/);
    }));

  test("Sequential indexing and iteration", () =>
    tidy(() => {
      using s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
      assert.equal(s.length, 2);
      assert.ok(s.at(-1) instanceof nn.ReLU);
      assert.throws(() => s.at(2), /index 2 is out of range for 2 layers/);
      assert.deepEqual(
        [...s].map((m) => m.constructor.name),
        ["Linear", "ReLU"],
      );
      const x = randn([4, 2]);
      assertClose(s.call(x), (s.at(0) as nn.Linear).call(x).relu());
      using empty = new nn.Sequential();
      assert.equal(empty.call(x), x);
      using list = new nn.ModuleList([new nn.Linear(1, 1), new nn.Linear(1, 1)]);
      assert.equal(list.parameters().length, 4);
      assert.deepEqual([...list.stateDict({ keepVars: true }).keys()], ["0.weight", "0.bias", "1.weight", "1.bias"]);
    }));
});

// Conv2d and Linear: PyTorch's default initialisation, float64 gradients of input and
// parameters, and argument/shape errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manualSeed, nn, randn, type Tensor, tidy } from "../../../src/torch/index.js";
import { leakCheckEachTest } from "../helpers.js";
import { assertUniform, checkModule, x64 } from "./fixtures.js";

leakCheckEachTest();

describe("default initialisation", () => {
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
});

describe("gradients (float64 finite differences, input and parameters)", () => {
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
});

describe("errors", () => {
  test("constructors reject bad sizes", () => {
    assert.throws(() => new nn.Conv2d(3, 8, 3, { groups: 2 }), /divisible by groups/);
    assert.throws(() => new nn.Conv2d(0, 8, 3), /inChannels must be a positive integer/);
    assert.throws(() => new nn.Conv2d(3, 8, 0), /kernelSize must be a positive integer/);
    assert.throws(() => new nn.Linear(2.5, 3), /inFeatures must be a positive integer/);
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
    }));
});

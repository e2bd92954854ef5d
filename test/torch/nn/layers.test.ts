// Parameter-free layers, PReLU, LayerNorm and the activations: initial values, float64 gradients
// of input and parameters, and argument/shape errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manualSeed, nn, randn, type Tensor, tidy } from "../../../src/torch/index.js";
import { gradcheck } from "../gradcheck.js";
import { assertClose, leakCheckEachTest } from "../helpers.js";
import { checkModule, S, x64 } from "./fixtures.js";

leakCheckEachTest();

describe("gradients (float64 finite differences, input and parameters)", () => {
  const f64 = { dtype: "float64" } as const;
  test("PReLU starts at 0.25 (PyTorch's default)", () =>
    tidy(() => {
      using p = new nn.PReLU(3);
      assert.deepEqual(p.weight.toNumbers(), [0.25, 0.25, 0.25]);
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
});

describe("errors", () => {
  test("constructors and forward reject bad arguments", () =>
    tidy(() => {
      assert.throws(() => new nn.Dropout(1.5), /between 0 and 1/);
      assert.throws(() => new nn.PReLU(0), /numParameters/);
      assert.throws(() => new nn.LayerNorm([2, 0]), /normalizedShape must be positive integers/);
      using prelu = new nn.PReLU(3);
      assert.throws(() => prelu.call(randn([2, 4, 2])), /3 parameters but the input has 4 channels/);
      using mp = new nn.MaxPool2d(2);
      assert.throws(() => mp.call(randn([4, 4])), /max_pool2d/);
    }));
});

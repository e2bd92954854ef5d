// BatchNorm1d/2d: initial state, float64 gradients in training and eval mode, running statistics
// against PyTorch 1.13, and input errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manualSeed, nn, noGrad, randn, type Tensor, tensor, tidy } from "../../../src/torch/index.js";
import { assertClose, leakCheckEachTest } from "../helpers.js";
import { checkModule, S, x64 } from "./fixtures.js";

leakCheckEachTest();

describe("initial state and gradients", () => {
  const f64 = { dtype: "float64" } as const;
  test("BatchNorm: weight 1, bias 0, running mean 0 / var 1, no batches", () =>
    tidy(() => {
      using bn = new nn.BatchNorm2d(5);
      assert.deepEqual(bn.weight?.toNumbers(), [1, 1, 1, 1, 1]);
      assert.deepEqual(bn.bias?.toNumbers(), [0, 0, 0, 0, 0]);
      assert.deepEqual(bn.runningMean?.toNumbers(), [0, 0, 0, 0, 0]);
      assert.deepEqual(bn.runningVar?.toNumbers(), [1, 1, 1, 1, 1]);
      assert.equal(bn.numBatchesTracked?.item(), 0);
      assert.equal(bn.runningMean?.requiresGrad, false);
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
});

describe("running statistics (PyTorch 1.13 reference)", () => {
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

describe("errors", () => {
  test("bad sizes and inputs are named", () =>
    tidy(() => {
      assert.throws(() => new nn.BatchNorm2d(-1), /numFeatures must be a positive integer/);
      using bn = new nn.BatchNorm2d(3);
      assert.throws(() => bn.call(randn([2, 3, 4])), /expected 4D input \(got 3D input/);
      assert.throws(() => bn.call(randn([2, 5, 4, 4])), /input has 5 channels but the layer has numFeatures=3/);
      using bn1 = new nn.BatchNorm1d(3);
      assert.throws(() => bn1.call(randn([1, 3])), /more than 1 value per channel when training/);
      assert.equal(bn1.numBatchesTracked?.item(), 1, "PyTorch also counts the batch before failing");
      bn1.eval();
      assert.deepEqual(bn1.call(randn([1, 3])).shape, [1, 3], "a single sample is fine in eval");
    }));
});

// torch.nn.init: every initialiser against its formula from torch/nn/init.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manualSeed, nn, randn, tidy } from "../../../src/torch/index.js";
import { assertClose, leakCheckEachTest } from "../helpers.js";

leakCheckEachTest();

describe("initialisers", () => {
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

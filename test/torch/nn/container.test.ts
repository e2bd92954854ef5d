// Sequential and ModuleList: naming, indexing, iteration, composition and gradients.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manualSeed, nn, randn, tidy } from "../../../src/torch/index.js";
import { assertClose, leakCheckEachTest } from "../helpers.js";
import { checkModule, x64 } from "./fixtures.js";

leakCheckEachTest();

describe("Sequential and ModuleList", () => {
  const f64 = { dtype: "float64" } as const;
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

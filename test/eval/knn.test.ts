import assert from "node:assert/strict";
import { test } from "node:test";
import { knnAccuracy, knnPredict } from "../../src/eval/index.js";
import { liveTensors, manualSeed, randn, tensor, tidy } from "../../src/torch/index.js";

test("kNN separates well-separated clusters (cosine, k=200 default)", () => {
  const start = liveTensors();
  tidy(() => {
    manualSeed(4);
    const centres = randn([4, 16]).mul(3);
    const make = (perClass: number) => {
      const labels = tensor(
        Array.from({ length: 4 * perClass }, (_, i) => i % 4),
        { dtype: "int64" },
      );
      return { x: centres.indexSelect(0, labels).add(randn([4 * perClass, 16]).mul(0.5)), y: labels };
    };
    const train = make(100);
    const test = make(30);
    assert.equal(knnAccuracy(train.x, train.y, test.x, test.y.toNumbers(), { batchSize: 37 }), 1);
    // Shuffled labels: around chance (4 classes).
    const shuffled = tensor(
      train.y.toNumbers().map((_, i) => (i * 7 + 3) % 4),
      { dtype: "int64" },
    );
    assert.ok(knnAccuracy(train.x, shuffled, test.x, test.y.toNumbers()) < 0.5);
  });
  assert.equal(liveTensors(), start);
});

test("votes are weighted by exp(sim/τ): a close neighbour beats a distant majority at small τ", () => {
  tidy(() => {
    const s = Math.sin(Math.PI / 3);
    const train = tensor([
      [1, 0],
      [0.5, s],
      [0.5, -s],
    ]);
    const labels = tensor([0, 1, 1], { dtype: "int64" });
    const q = tensor([[1, 0.01]]);
    // Similarities ≈ 1, 0.5, 0.5. τ = 0.1: e^10 vs 2·e^5 → class 0. τ = 100: ≈1 vs ≈2 → class 1.
    assert.deepEqual(Array.from(knnPredict(train, labels, q, { k: 3, temperature: 0.1 })), [0]);
    assert.deepEqual(Array.from(knnPredict(train, labels, q, { k: 3, temperature: 100 })), [1]);
    // k = 1 is nearest-neighbour.
    assert.deepEqual(Array.from(knnPredict(train, labels, q, { k: 1, temperature: 100 })), [0]);
    assert.throws(() => knnPredict(train, labels, tensor([[1, 0, 0]])), /same D/);
  });
});

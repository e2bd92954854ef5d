import assert from "node:assert/strict";
import { test } from "node:test";
import { knnAccuracy, knnPredict } from "../../src/eval/knn.js";
import { loadPretrainedEncoder } from "../../src/methods/evaluate.js";
import { chooseKnn, knnPredictGrid } from "../../src/methods/evaluate-knn.js";
import { extractFeatures, labelTensor } from "../../src/methods/features.js";
import { fromTypedArray, liveTensors, manualSeed, randn, tidy } from "../../src/torch/index.js";
import { allLabelRows, stripesSetup, TinyEncoder } from "./helpers.js";

test("knnPredictGrid gives knnPredict's predictions for every (k, τ) from one top-k search", () => {
  const start = liveTensors();
  tidy(() => {
    manualSeed(3);
    const bank = randn([150, 6]);
    const labels = Int32Array.from({ length: 150 }, (_, i) => (i * 7) % 4);
    const queries = randn([70, 6]);
    const settings = [
      { k: 1, temperature: 0.1 },
      { k: 10, temperature: 0.1 },
      { k: 10, temperature: 1 },
      { k: 200, temperature: 0.5 }, // capped at the bank's 150 rows, as knnPredict does
    ];
    const grid = knnPredictGrid(bank, labels, queries, settings, 4, 32);
    for (const [i, s] of settings.entries())
      assert.deepEqual(grid[i], knnPredict(bank, labelTensor(labels), queries, { ...s, numClasses: 4 }), `k ${s.k}`);
  });
  assert.equal(liveTensors(), start);
});

/**
 * Hand-built: class 0 = 2 identical points at angle 0, class 1 = 10 identical points at angle 0.3 rad.
 * Held out 1/2 (stratified: 1 + 5 queries; bank 1 + 5), whichever rows the split draws:
 *   k 1: every query's nearest row is its own class (similarity 1)                 → 6/6
 *   k 3, τ 1: a class-0 query sees its twin (e^1 = 2.72) and two class-1 rows
 *        (2·e^cos0.3 = 2·e^0.955 = 5.20) → class 1, wrong; class-1 queries right → 5/6
 *   k 6 (the whole bank), τ 1: class 0 e^1 = 2.72 vs 5·e^0.955 = 13.0 → wrong       → 5/6
 */
function twoClusters() {
  const angle = Array.from({ length: 12 }, (_, i) => (i < 2 ? 0 : 0.3));
  const x = fromTypedArray(Float32Array.from(angle.flatMap((a) => [Math.cos(a), Math.sin(a)])), [12, 2]);
  return { x, y: Int32Array.from(angle, (a) => (a === 0 ? 0 : 1)) };
}

test("chooseKnn picks the held-out argmax of a hand-built case (k 1), not the first or the largest k", () => {
  const start = liveTensors();
  tidy(() => {
    const { x, y } = twoClusters();
    for (const seed of [0, 1, 2]) {
      const c = chooseKnn(x, y, { ks: [6, 1, 3], temperatures: [1] }, { heldOut: 0.5, numClasses: 2, seed });
      assert.deepEqual(
        c.heldOut.map((h) => [h.k, h.temperature, h.accuracy]),
        [
          [6, 1, 5 / 6],
          [1, 1, 1],
          [3, 1, 5 / 6],
        ],
      );
      assert.deepEqual([c.k, c.temperature], [1, 1]);
    }
    // a tie (k 3 and k 6 both 5/6) goes to the earlier entry of the grid
    const tie = chooseKnn(x, y, { ks: [3, 6], temperatures: [1] }, { heldOut: 0.5, numClasses: 2, seed: 0 });
    assert.equal(tie.k, 3);
    const tie2 = chooseKnn(x, y, { ks: [6, 3], temperatures: [1] }, { heldOut: 0.5, numClasses: 2, seed: 0 });
    assert.equal(tie2.k, 6);
  });
  assert.equal(liveTensors(), start);
});

test("chooseKnn and knnPredictGrid name bad inputs", () => {
  tidy(() => {
    const { x, y } = twoClusters();
    assert.throws(
      () => chooseKnn(x, y, { ks: [1], temperatures: [1] }, { heldOut: 1, numClasses: 2, seed: 0 }),
      /heldOut must be in \(0, 1\), got 1/,
    );
    assert.throws(() => knnPredictGrid(x, y, x, [{ k: 0, temperature: 1 }], 2), /k must be an integer ≥ 1.*got k 0/);
    assert.throws(() => knnPredictGrid(x, y.subarray(1), x, [{ k: 1, temperature: 1 }], 2), /11 bank labels for 12/);
    assert.throws(() => knnPredictGrid(x, y, x, [], 2), /no \(k, τ\) settings/);
  });
});

test("evaluate.knn.kGrid: the suite scores the test set with the held-out argmax (k, τ) it logs, for each encoder", async () => {
  const start = liveTensors();
  const setup = stripesSetup(2);
  const { train, val, pretrained } = setup;
  const logs: string[] = [];
  const rows = await allLabelRows(
    setup,
    { knn: { enabled: true, kGrid: [1, 7, 30], temperatureGrid: [0.1, 1], heldOut: 0.25 } },
    (m) => logs.push(m),
  );
  const enc = new TinyEncoder(1, 8);
  loadPretrainedEncoder(enc, pretrained);
  const choice = logs.map((l) => /^stripes knn: k (\d+), τ ([\d.]+) \(held-out (.*)\)$/.exec(l)).find((m) => m);
  assert.ok(choice, logs.join("\n"));
  const heldOut = [...choice[3]!.matchAll(/k (\d+) τ ([\d.]+): ([\d.]+)%/g)].map((m) => [+m[1]!, +m[2]!, +m[3]!]);
  assert.equal(heldOut.length, 6);
  const best = Math.max(...heldOut.map((h) => h[2]!));
  assert.deepEqual([+choice[1]!, +choice[2]!], heldOut.find((h) => h[2] === best)!.slice(0, 2));
  assert.ok(logs.some((l) => /^stripes knn-random-init: k \d+, τ/.test(l)));
  // Oracle: kNN computed directly on the pretrained encoder's features with the chosen (k, τ).
  const direct = tidy(() =>
    knnAccuracy(
      extractFeatures(enc, train.images),
      labelTensor(train.labels),
      extractFeatures(enc, val.images),
      val.labels,
      { k: +choice[1]!, temperature: +choice[2]!, numClasses: 4 },
    ),
  );
  assert.equal(rows[0]!.method, "knn");
  assert.equal(rows[0]!.accuracy, direct);
  enc.dispose();
  setup.dispose();
  assert.equal(liveTensors(), start);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { linearProbe } from "../../src/methods/supervised.js";
import { liveTensors, manualSeed, randn, tidy } from "../../src/torch/index.js";
import { Linear } from "../../src/torch/nn/index.js";

test("a probe folded into its head classifies raw features exactly as the probe does standardised ones", async () => {
  const start = liveTensors();
  manualSeed(3);
  // Features far from zero mean / unit scale, with a label signal in two of them.
  const [train, val] = tidy(() => [randn([120, 6]).mul(5).add(20), randn([60, 6]).mul(5).add(20)]);
  const label = (x: typeof train) =>
    tidy(() => Int32Array.from(x.select(1, 0).sub(x.select(1, 1)).gt(0).toArray() as number[], Number));
  const ytr = label(train!);
  const yva = label(val!);
  const opts = { epochs: 5, batchSize: 32, lr: 0.1, weightDecay: 0, seed: 1, guards: false };
  manualSeed(4);
  const plain = new Linear(6, 2);
  manualSeed(4);
  const folded = new Linear(6, 2); // the same start
  const r1 = await linearProbe(train!, ytr, val!, yva, 2, { ...opts, init: plain });
  const r2 = await linearProbe(train!, ytr, val!, yva, 2, { ...opts, init: folded, foldStandardization: true });
  assert.equal(r1.final.accuracy, r2.final.accuracy);
  assert.ok(r2.final.accuracy > 0.8, `probe learned (${r2.final.accuracy})`);
  tidy(() => {
    const m = train!.mean([0], true);
    const s = train!.std([0], { keepdim: true }).add(1e-6);
    const expected = plain.call(val!.sub(m).div(s));
    const got = folded.call(val!);
    const err = got.sub(expected).abs().max().item();
    assert.ok(err < 1e-4, `folded logits differ by ${err}`);
  });
  for (const t of [train!, val!]) t.dispose();
  plain.dispose();
  folded.dispose();
  assert.equal(liveTensors(), start);
});

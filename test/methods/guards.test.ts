import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertLrPositive,
  assertParamsOptimized,
  balancedClassWeights,
  classificationReport,
  collapseGuard,
  lossStuck,
  TrainingFailure,
} from "../../src/methods/guards.js";
import {
  chanceContrastiveLoss,
  collapseReason,
  contrastiveWarnings,
  representationStats,
} from "../../src/methods/monitors.js";
import { linearProbe } from "../../src/methods/supervised.js";
import { liveTensors, manualSeed, ones, randn, tensor, tidy, zeros } from "../../src/torch/index.js";

test("classificationReport: accuracy, balanced accuracy and recall from a hand-made confusion", () => {
  // true: 0 0 0 0 1 1 ; pred: 0 0 0 1 1 0  → confusion [[3,1],[1,1]]
  const r = tidy(() =>
    classificationReport(
      tensor([0, 0, 0, 1, 1, 0], { dtype: "int64" }),
      tensor([0, 0, 0, 0, 1, 1], { dtype: "int64" }),
      2,
    ),
  );
  assert.deepEqual(r.confusion, [
    [3, 1],
    [1, 1],
  ]);
  assert.equal(r.accuracy, 4 / 6);
  assert.deepEqual(r.perClassRecall, [0.75, 0.5]);
  assert.equal(r.balancedAccuracy, 0.625);
  assert.deepEqual(r.predictedShare, [4 / 6, 2 / 6]);
});

test("collapseGuard fires on one-class predictions and names the balanced accuracy", () => {
  const y = Array.from({ length: 100 }, (_, i) => (i < 70 ? 0 : 1));
  const oneClass = tidy(() => classificationReport(zeros([100], { dtype: "int64" }), tensor(y, { dtype: "int64" }), 2));
  assert.equal(oneClass.accuracy, 0.7);
  assert.equal(oneClass.balancedAccuracy, 0.5);
  const msg = collapseGuard(oneClass);
  assert.ok(msg?.includes("class 0") && msg.includes("balanced accuracy 50.0%"), msg ?? "no message");
  const healthy = tidy(() => classificationReport(tensor(y, { dtype: "int64" }), tensor(y, { dtype: "int64" }), 2));
  assert.equal(collapseGuard(healthy), null);
});

test("lossStuck fires at ln C and on a flat loss, not on a falling one", () => {
  assert.ok(lossStuck([0.6932, 0.6933, Math.LN2], 2)?.includes("ln(2)"));
  assert.ok(lossStuck([1.2345, 1.2345, 1.2345], 5)?.includes("has not moved"));
  assert.equal(lossStuck([0.69, 0.5, 0.4], 2), null);
  assert.equal(lossStuck([0.69, 0.69], 2), null); // fewer than `patience` epochs
});

test("optimizer and LR guards", () => {
  const head = new Map([["fc.weight", zeros([2, 3], { requiresGrad: true })]]);
  assert.throws(
    () => assertParamsOptimized(head, []),
    (e: unknown) => e instanceof TrainingFailure && e.kind === "head-not-optimized",
  );
  assertParamsOptimized(head, [...head.values()]);
  assert.throws(() => assertLrPositive(0, "epoch 3"), /learning rate at epoch 3 is 0/);
  for (const t of head.values()) t.dispose();
  assert.deepEqual(balancedClassWeights([0, 0, 0, 1], 3), [4 / 6, 2, 0]);
});

test("representation monitors: healthy random embeddings vs a constructed collapse", () => {
  const start = liveTensors();
  manualSeed(1);
  const healthy = tidy(() => {
    const z = randn([256, 32]);
    return representationStats(z, z.add(randn([256, 32]).mul(0.1)));
  });
  assert.equal(collapseReason(healthy), null);
  assert.ok(healthy.alignment > 0 && healthy.alignment < 0.1, `alignment ${healthy.alignment}`);
  // Uniformity of Gaussian directions in 32-D: mean of exp(-2·(2-2cos)) with cos ≈ 0 → ≈ −4.
  assert.ok(healthy.uniformity < -3.5, `uniformity ${healthy.uniformity}`);
  const collapsed = tidy(() => representationStats(ones([64, 32]), ones([64, 32])));
  assert.ok(collapsed.spread < 1e-6 && Math.abs(collapsed.uniformity) < 1e-9 && collapsed.alignment < 1e-12);
  assert.ok(collapseReason(collapsed)?.startsWith("representations collapsed"));
  const warnings = contrastiveWarnings([5.6, 5.545], 128, collapsed);
  assert.equal(warnings.length, 2);
  assert.ok(warnings[0]!.includes("ln(255)"));
  assert.equal(chanceContrastiveLoss(128), Math.log(255));
  assert.equal(liveTensors(), start);
});

test("linear probe guard stops on uninformative features with imbalanced labels (one-class collapse)", async () => {
  const start = liveTensors();
  // Constant features carry no information: the best a classifier can do is predict the majority
  // class, the seed's gender picture. The guard must stop and say so.
  const n = 200;
  const y = Int32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
  const feats = tidy(() => ones([n, 8]).add(randn([n, 8]).mul(1e-7)));
  const r = await linearProbe(feats, y, feats, y, 2, { epochs: 20, batchSize: 50, lr: 0.5, weightDecay: 0, seed: 3 });
  feats.dispose();
  assert.ok(r.failure, "expected a failure");
  assert.ok(["prediction-collapse", "loss-stuck"].includes(r.failure.kind), r.failure.kind);
  assert.ok(r.final.predictedShare[0]! > 0.98);
  assert.equal(r.final.balancedAccuracy, 0.5);
  assert.equal(liveTensors(), start);
});

test("linear probe learns separable features; a tiny LR is reported as a stuck loss", async () => {
  const start = liveTensors();
  manualSeed(4);
  const n = 300;
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const feats = tidy(() => randn([n, 6]).add(tensor(Array.from(y, (c) => [c * 3, -c * 2, 0, 0, 0, 0]))));
  const ok = await linearProbe(feats, y, feats, y, 3, { epochs: 10, batchSize: 64, lr: 0.1, weightDecay: 0, seed: 1 });
  assert.equal(ok.failure, undefined);
  assert.ok(ok.final.accuracy > 0.9, `accuracy ${ok.final.accuracy}`);
  assert.ok(ok.history[0]!.loss > ok.history.at(-1)!.loss);
  const stuck = await linearProbe(feats, y, feats, y, 3, {
    epochs: 10,
    batchSize: 64,
    lr: 1e-9,
    weightDecay: 0,
    seed: 1,
  });
  assert.equal(stuck.failure?.kind, "loss-stuck");
  assert.ok(stuck.failure.message.includes("optimizer"));
  feats.dispose();
  assert.equal(liveTensors(), start);
});

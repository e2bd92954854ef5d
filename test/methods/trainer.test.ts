// The shared Trainer: its one LR schedule against hand-computed values (first step > 0, google
// SimCLR's lr = base·(step+1)/warmup) as both methods see it, and its one weight-decay rule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pretrain } from "../../src/methods/pretrain.js";
import { createRecognizer } from "../../src/methods/recognition/recognizer.js";
import { simclrModel } from "../../src/methods/simclr.js";
import { PretrainSchema } from "../../src/methods/simclr-config.js";
import { buildOptimizer, lrAt, scheduleFor } from "../../src/methods/trainer.js";
import { simclrViews } from "../../src/methods/views.js";
import { liveTensors, manualSeed } from "../../src/torch/index.js";
import { stripes, TinyEncoder } from "./helpers.js";
import { trainTinyRecognizer } from "./tiny-recognizer.js";

const close = (got: number[], want: number[]) => {
  assert.equal(got.length, want.length, `${got} vs ${want}`);
  for (const [i, g] of got.entries())
    assert.ok(Math.abs(g - (want[i] as number)) < 1e-12, `step ${i}: ${g} vs ${want[i]}`);
};

// warmup 3 of 6 steps, base 0.1: warmup base·(k+1)/3, then cosine base·½(1+cos(π·(k+1−3)/3)).
const SIX = [0.1 / 3, 0.2 / 3, 0.1, 0.1 * 0.75, 0.1 * 0.25, 0];

test("lrAt: linear warmup evaluated at step+1 (first step > 0), then cosine to 0", () => {
  const s = scheduleFor(0.1, 2, 3, 1);
  assert.deepEqual(s, { lr: 0.1, warmupSteps: 3, totalSteps: 6 });
  close(
    Array.from({ length: 6 }, (_, k) => lrAt(k, s)),
    SIX,
  );
  // No warmup: the cosine starts one step in.
  close([lrAt(0, scheduleFor(1, 1, 4, 0))], [0.5 * (1 + Math.cos(Math.PI / 4))]);
});

test("face recognition takes exactly those learning rates (the old schedule's first step was lr 0)", async () => {
  const start = liveTensors();
  const { model, steps } = await trainTinyRecognizer(12, { batchSize: 4, lr: 0.1, warmupEpochs: 1 });
  close(
    steps.map((s) => s.lr),
    SIX,
  );
  model.dispose();
  assert.equal(liveTensors(), start);
});

test("SimCLR pretraining takes exactly those learning rates", async () => {
  const start = liveTensors();
  const cfg = PretrainSchema.parse({
    epochs: 2,
    batchSize: 8,
    optimizer: "sgd",
    lr: 0.1,
    lrScaling: "none",
    warmupEpochs: 1,
    monitor: { knn: false, onlineProbe: false },
  });
  const data = stripes(24, 12, 5);
  manualSeed(11);
  const model = simclrModel(new TinyEncoder(1, 4), { layers: 2, hidden: 8, out: 4 });
  const lrs: number[] = [];
  await pretrain(model, {
    cfg,
    seed: 1,
    pool: data.images,
    views: simclrViews(cfg.augment),
    warn: () => {},
    onStep: (s) => lrs.push(s.lr),
  });
  close(lrs, SIX);
  model.dispose();
  data.images.dispose();
  assert.equal(liveTensors(), start);
});

test("one weight-decay rule: BatchNorm, biases and ≤1-D parameters (Ring's radius) get none", () => {
  manualSeed(0);
  using model = createRecognizer({ backbone: "convnet", width: 4, embeddingDim: 8, numClasses: 3, loss: "ring" });
  using opt = buildOptimizer(model, { optimizer: "sgd", lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
  const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  const [decay, none] = opt.paramGroups.map((g) => g.params.map((p) => names.get(p)));
  const wd = opt.paramGroups.map((g) => (g as unknown as { weightDecay: number }).weightDecay);
  assert.deepEqual(wd, [5e-4, 0]);
  assert.deepEqual(decay, [
    "backbone.body.0.weight",
    "backbone.body.3.weight",
    "backbone.body.6.weight",
    "embedding.weight",
    "head.weight",
  ]);
  assert.ok(
    none?.includes("head.ring.radius") && none.includes("embedding.bias") && none.includes("bn.weight"),
    `${none}`,
  );
});

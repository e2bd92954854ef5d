// Issue #15's CPU-budget test: the simclr-fmnist recipe itself (configs/simclr-fmnist.yaml, loaded, not
// rebuilt: ResNet one block per stage, width 16, CIFAR stem; SGD lr 0.3, momentum 0.9, wd 1e-4, warmup then
// cosine; NT-Xent τ 0.5; projector 512 → 128; crop area 0.08–1, brightness/contrast jitter; channels-last)
// shrunk only in budget, must leave its random-init encoder behind by a stated margin.
// Overrides, each a budget cut, none a change of method:
//   - 28 px (Fashion-MNIST's own size; the recipe resizes to 32, ~23% more per step);
//   - 25,600 unlabelled images, 2 epochs of batch 64 = 800 steps (the recipe: 18 × 234 steps of 256),
//     warmup 0.22 epoch = the recipe's 2/18 of training; lr stays 0.3 (lrScaling none, as in the recipe);
//   - the epoch-end monitors off; scoring (recipe-gain.ts → test/methods/frozen-scores.ts: kNN k 20 and an
//     SGD linear probe) on 1,000 labelled training images (stratified) against 2,000 test images.
// Measured 2026-12-07, one thread, the 2 cores shared with another training run (wall times contended): this
// file took 175–182 s CPU (265–290 s wall) on Debian LibTorch 1.13 and 178–200 s CPU (250–355 s wall) on 2.13 —
// about what it takes on an idle core. Gains in points, kNN / linear probe, random init → 800 steps:
//   seed 0: 66.10 → 70.70 (+4.60) / 73.05 → 77.70 (+4.65); LibTorch 2.13: 69.65 (+3.55) / 77.75 (+4.70)
//   seed 1: 67.10 → 72.60 (+5.50) / 74.65 → 78.45 (+3.80); LibTorch 2.13: 72.25 (+5.15) / 77.85 (+3.20)
//   seed 2: 67.90 → 72.55 (+4.65) / 74.25 → 79.70 (+5.45)
//   seed 3: 66.65 → 72.00 (+5.35) / 72.50 → 78.10 (+5.60)
//   seed 4: 66.00 → 71.80 (+5.80) / 75.65 → 77.45 (+1.80); LibTorch 2.13: 71.50 (+5.50) / 77.70 (+2.05)
// Margins: kNN ≥ 2 points (smallest gain seen +3.55) and linear probe ≥ 0.5 point (smallest +1.80: the SGD
// probe on 1,000 labels is the noisier score; seed 4's random-init encoder probes 1–3 points above the others').
// Shorter budgets did not leave random init far enough behind to state a margin: 400 steps (12,800
// images) gave +3.9 / +3.6, +1.8 / +2.0, +1.35 / +4.1 on seeds 0–2; the linearly scaled lr (0.075 at batch
// 64) at 400 steps, seed 1, +1.15 / +2.55. The recipe's batch 256 on the same 25,600 images (200 steps, ~10%
// less CPU) passes too but with less room: seeds 0 / 1 / 4 +3.10 / +3.70, +3.30 / +2.25, +3.15 / +0.75.
// With pretrain.lr=1e-9 (FACELAB_SIMCLR_BUDGET_SET="pretrain.lr=1e-9") the test fails, seed 0: loss 4.671 →
// 4.674, kNN 66.10 → 61.85, probe 73.05 → 64.75 (the BatchNorm statistics of augmented views alone move the
// features, for the worse), so the margin is earned by the weights.
// The test runs the recipe's seed 0; FACELAB_SIMCLR_BUDGET_SET="seed=1" (space-separated key=value, after the
// cuts) reruns it on another seed or setting.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FASHION_MNIST_DIR } from "../../../src/data/idx.js";
import { liveTensors } from "../../../src/torch/index.js";
import { recipeGain } from "./recipe-gain.js";

const KNN_MARGIN = 0.02;
const PROBE_MARGIN = 0.005;
const BUDGET_SETS = [
  "data.imageSize=28",
  "data.pretrainLimit=25600",
  "data.labelledLimit=1000",
  "data.evalLimit=2000",
  "pretrain.epochs=2",
  "pretrain.batchSize=64",
  "pretrain.warmupEpochs=0.22",
  "pretrain.monitor.knn=false",
  "pretrain.monitor.onlineProbe=false",
  ...(process.env.FACELAB_SIMCLR_BUDGET_SET ?? "").split(" ").filter(Boolean),
];

const fmnist = existsSync(join(FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz")) || !!process.env.FACELAB_FASHION_MNIST;

test("simclr-fmnist, shrunk to 800 steps on one core, beats its random-init encoder on kNN and a linear probe", {
  skip: fmnist ? false : "no Fashion-MNIST (Debian package dataset-fashion-mnist)",
}, async () => {
  const start = liveTensors();
  const { cfg, random, trained, history } = await recipeGain("simclr-fmnist", BUDGET_SETS);
  assert.equal(cfg.pretrain.optimizer, "sgd", "the recipe's optimizer, not an override");
  assert.equal(cfg.pretrain.temperature, 0.5, "the recipe's τ");
  const msg = `simclr-fmnist (budget, seed ${cfg.seed}, batch ${cfg.pretrain.batchSize}): kNN ${random.knn} → ${trained.knn}, linear probe ${random.probe} → ${trained.probe}, loss ${history.map((h) => h.loss.toFixed(3))}`;
  console.log(msg);
  assert.ok(trained.knn - random.knn >= KNN_MARGIN, msg);
  assert.ok(trained.probe - random.probe >= PROBE_MARGIN, msg);
  assert.equal(liveTensors(), start);
});

// BYOL on the shared Trainer: the EMA update and τ schedule against hand-computed values, the target
// in the checkpoint, the loss falling, and on Fashion-MNIST a probe that beats the random-init encoder.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FASHION_MNIST_DIR } from "../../src/data/idx.js";
import { byolLoss } from "../../src/losses/index.js";
import { ByolModel, byolModel, emaDecay, emaUpdate } from "../../src/methods/byol.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { PretrainSchema } from "../../src/methods/simclr-config.js";
import { simclrViews } from "../../src/methods/views.js";
import { liveTensors, manualSeed, nn, noGrad, tensor, tidy } from "../../src/torch/index.js";
import { recipeGain } from "../studies/simclr/recipe-gain.js";
import { stripes, TinyEncoder } from "./helpers.js";

test("EMA: ξ ← τξ + (1−τ)θ for parameters, buffers copied; τ rises on a cosine from τ_base to 1", () => {
  const start = liveTensors();
  tidy(() => {
    using online = new nn.Linear(2, 1);
    using target = new nn.Linear(2, 1);
    noGrad(() => {
      online.weight.copy_(tensor([[1, 2]])).dispose();
      online.bias?.copy_(tensor([4])).dispose();
      target.weight.copy_(tensor([[3, -2]])).dispose();
      target.bias?.copy_(tensor([0])).dispose();
    });
    emaUpdate(target, online, 0.9);
    // 0.9·[3, −2] + 0.1·[1, 2] = [2.8, −1.6]; bias 0.9·0 + 0.1·4 = 0.4
    const w = target.weight.toNumbers();
    assert.ok(Math.abs(w[0]! - 2.8) < 1e-6 && Math.abs(w[1]! + 1.6) < 1e-6, `${w}`);
    assert.ok(Math.abs(target.bias!.item() - 0.4) < 1e-6);
  });
  assert.equal(emaDecay(0.99, 0, 100), 0.99);
  assert.ok(Math.abs(emaDecay(0.99, 50, 100) - 0.995) < 1e-15);
  assert.equal(emaDecay(0.99, 100, 100), 1);
  // the regression loss: 2 − 2·cos; orthogonal → 2, equal → 0
  tidy(() => {
    const l = byolLoss(
      tensor([
        [1, 0],
        [1, 1],
      ]),
      tensor([
        [0, 3],
        [2, 2],
      ]),
    ).item();
    assert.ok(Math.abs(l - 1) < 1e-6, `${l}`); // (2 + 0) / 2
  });
  assert.equal(liveTensors(), start);
});

test("BYOL: the loss falls, the target follows the online network and is in the checkpoint state", async () => {
  const start = liveTensors();
  const data = stripes(128, 12, 5);
  const cfg = PretrainSchema.parse({
    method: "byol",
    epochs: 6,
    batchSize: 32,
    optimizer: "sgd",
    lr: 0.05,
    lrScaling: "none",
    warmupEpochs: 1,
    augment: { cropScale: [0.5, 1], jitterStrength: 0.5, grayscaleProb: 0 },
    monitor: { knn: false, onlineProbe: false },
  });
  manualSeed(1);
  const model = byolModel(() => new TinyEncoder(1, 8), { hidden: 32, out: 16 }, { tau: 0.9, predictorHidden: 32 });
  assert.ok(model instanceof ByolModel);
  const before = tidy(() =>
    model.target
      .stateDict()
      .get("encoder.body.0.weight")!
      .sub(model.stateDict().get("encoder.body.0.weight")!)
      .abs()
      .max()
      .item(),
  );
  assert.equal(before, 0, "the target starts as a copy of the online network");
  const r = await pretrain(model, { cfg, seed: 2, pool: data.images, views: simclrViews(cfg.augment), warn: () => {} });
  const first = r.history[0]!.loss;
  const last = r.history.at(-1)!.loss;
  assert.ok(last < first - 0.1, `loss ${first} → ${last}`);
  const [keys, trained] = tidy(() => [[...model.extraState().keys()], [...model.stateDict().keys()]]);
  assert.ok(keys.includes("target.encoder.body.0.weight") && keys.includes("target.projector.net.0.weight"), `${keys}`);
  assert.ok(!trained.some((k) => k.startsWith("target.")), "the target is not trained");
  model.dispose();
  data.images.dispose();
  assert.equal(liveTensors(), start);
});

// The byol-fmnist recipe shrunk to a one-core test budget: 4,096 unlabelled images at 16 px, 4 epochs of
// batch 64 (256 steps, warmup 32, cosine to 0), AdamW 2e-3, crop area 0.3–1 (at 16 px a 0.08 crop is a
// 4-pixel patch), τ_base 0.99; scored (frozen-scores.ts) by an SGD linear probe and kNN (k 20) on 1,000
// labelled training images (stratified) against 2,000 test images, before and after pretraining.
// Both encoders are scored with their BatchNorm statistics re-estimated on the same 4,096 clean pool images
// (bnPool). Without that, the comparison mixes two things: the untrained encoder's statistics are (0, 1), so
// it is scored as an un-normalised network, while the trained one's come from augmented batches; on seed 1
// refreshing the statistics alone (the same run at lr 1e-9) moved kNN −4.7 and the probe −8.9 points, on
// seed 0 +3.7 and −2.7 — larger than what 128–512 BYOL steps learn, and the reason seed 0 and seed 1 of the
// un-recalibrated comparison went opposite ways (README "BYOL on the same trainer").
// Measured 2026-12-07 (LibTorch 1.13, contended 2-core machine, one thread), gain in points over the same
// random-init encoder, seeds 0, 1, 2, 3, 4: linear probe +7.35, +7.45, +7.85, +4.60, +6.10; kNN +0.50, +2.55,
// +5.35, +1.40, +1.20. LibTorch 2.13, seed 0: probe +5.75, kNN −0.80. With FACELAB_BYOL_LR=1e-9 (weights untouched) both
// gains are 0.00 and the test fails. The kNN does not reliably gain at this budget, so only the probe is
// asserted (≥ 3 points); kNN only must not fall by more than 2. FACELAB_BYOL_SEED / FACELAB_BYOL_LR
// override the seed and lr. Runtime (one thread, contended): 81 s on 1.13 (47 s CPU), 216 s on 2.13 (183 s CPU).
const PROBE_MARGIN = 0.03;
const KNN_DROP = 0.02;
const fmnist = existsSync(join(FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz")) || !!process.env.FACELAB_FASHION_MNIST;
test("byol-fmnist, shrunk to 256 steps, beats its random-init encoder on a linear probe", {
  skip: fmnist ? false : "no Fashion-MNIST (Debian package dataset-fashion-mnist)",
}, async () => {
  const start = liveTensors();
  const { cfg, random, trained } = await recipeGain(
    "byol-fmnist",
    [
      "memoryFormat=channels_last",
      "data.imageSize=16",
      "data.pretrainLimit=4096",
      "data.labelledLimit=1000",
      "data.evalLimit=2000",
      "pretrain.epochs=4",
      "pretrain.batchSize=64",
      "pretrain.warmupEpochs=0.5",
      "pretrain.optimizer=adamw",
      "pretrain.lr=2e-3",
      "pretrain.augment.cropScale=[0.3,1]",
      "pretrain.monitor.knn=false",
      "pretrain.monitor.onlineProbe=false",
      ...(process.env.FACELAB_BYOL_SEED ? [`seed=${process.env.FACELAB_BYOL_SEED}`] : []),
      ...(process.env.FACELAB_BYOL_LR ? [`pretrain.lr=${process.env.FACELAB_BYOL_LR}`] : []),
    ],
    { bnPool: true },
  );
  const msg = `byol-fmnist seed ${cfg.seed}: linear probe ${random.probe} → ${trained.probe}, kNN ${random.knn} → ${trained.knn}`;
  console.log(msg);
  assert.ok(trained.probe - random.probe >= PROBE_MARGIN, msg);
  assert.ok(trained.knn - random.knn >= -KNN_DROP, msg);
  assert.equal(liveTensors(), start);
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadTensors, SimclrCheckpoints } from "../../src/methods/checkpoint.js";
import { type PretrainEpoch, pretrain } from "../../src/methods/pretrain.js";
import { simclrModel } from "../../src/methods/simclr.js";
import { PretrainSchema } from "../../src/methods/simclr-config.js";
import { simclrViews } from "../../src/methods/views.js";
import { liveTensors, manualSeed, tidy } from "../../src/torch/index.js";
import { stripes, TinyEncoder } from "./helpers.js";

const cfg = PretrainSchema.parse({
  epochs: 4,
  batchSize: 32,
  optimizer: "lars",
  lr: 2,
  lrScaling: "none",
  warmupEpochs: 1,
  temperature: 0.2,
  checkpointEvery: 2,
  augment: { cropScale: [0.5, 1], jitterStrength: 0.5, grayscaleProb: 0 },
  monitor: { knnK: 20 },
});

function newModel() {
  manualSeed(11);
  return simclrModel(new TinyEncoder(1, 8), { layers: 3, hidden: 32, out: 16 });
}

const strip = (h: PretrainEpoch[]) => h.map(({ seconds: _s, ...rest }) => rest);

test("resume after a kill at epoch 2 gives the same weights and metrics as an uninterrupted run", async () => {
  const start = liveTensors();
  const dir = mkdtempSync(join(tmpdir(), "simclr-resume-"));
  const data = stripes(128, 12, 5);
  const query = stripes(64, 12, 6);
  const monitor = { bank: data, query, numClasses: 4 };
  const common = { cfg, seed: 7, pool: data.images, views: simclrViews(cfg.augment), monitor, warn: () => {} };
  try {
    const a = newModel();
    const full = await pretrain(a, { ...common, checkpoints: new SimclrCheckpoints(join(dir, "a")) });
    assert.equal(full.history.length, 4);
    assert.ok(full.history[3]!.loss < full.history[0]!.loss, "the loss should fall");

    const killed = newModel();
    const storeB = new SimclrCheckpoints(join(dir, "b"));
    const part = await pretrain(killed, { ...common, checkpoints: storeB, stopAfterEpoch: 2 });
    assert.equal(part.stoppedEarly, true);
    assert.deepEqual(
      storeB.list().map((c) => c.epoch),
      [2],
    );
    killed.dispose();

    // A new process would rebuild the model from its seed, then resume from the latest checkpoint.
    const b = newModel();
    const resumed = await pretrain(b, { ...common, checkpoints: storeB, resume: true });
    assert.equal(resumed.startEpoch, 2);
    assert.deepEqual(strip(resumed.history), strip(full.history));
    const wa = a.stateDict();
    const wb = b.stateDict();
    for (const [k, t] of wa) {
      const d = tidy(() => t.double().sub(wb.get(k)!.double()).abs().max().item());
      assert.equal(d, 0, `${k} differs by ${d}`);
    }
    for (const t of [...wa.values(), ...wb.values()]) t.dispose();
    // The final checkpoint holds the same model as the in-memory one.
    const saved = loadTensors(storeB.latest()!.model);
    assert.equal(storeB.latest()!.epoch, 4);
    assert.ok(saved.has("encoder.body.0.weight") && saved.has("head.2.1.running_var"));
    for (const t of saved.values()) t.dispose();
    a.dispose();
    b.dispose();
  } finally {
    data.images.dispose();
    query.images.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(liveTensors(), start);
});

// The Trainer's precision (issue #11): under bf16 (CPU autocast) with channels-last weights a face
// recognizer trains with finite losses, the first step's loss matches fp32's and the weights end close
// to an fp32 run's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setupCompute } from "../../src/torch/device.js";
import { liveTensors, type Tensor, tidy } from "../../src/torch/index.js";
import { trainTinyRecognizer } from "./tiny-recognizer.js";

async function train(precision: "fp32" | "bf16", memoryFormat: "contiguous" | "channels_last") {
  const { model, steps } = await trainTinyRecognizer(16, {
    batchSize: 8,
    lr: 0.05,
    warmupEpochs: 0,
    compute: setupCompute({ precision, memoryFormat }),
  });
  const losses = steps.map((s) => s.loss);
  const conv = model.parameters().find((p) => p.ndim === 4) as Tensor;
  const channelsLast = conv.isContiguous("channelsLast") && !conv.isContiguous();
  const weights = tidy(() => model.parameters().map((p) => [...p.detach().contiguous().toTypedArray()] as number[]));
  model.dispose();
  return { losses, channelsLast, weights };
}

test("bf16 + channels-last training: finite losses, weights close to fp32's, layout kept", async () => {
  const start = liveTensors();
  const ref = await train("fp32", "contiguous");
  const bf = await train("bf16", "channels_last");
  assert.equal(bf.channelsLast, true, "4-D weights were converted to channels-last");
  assert.ok(bf.losses.every(Number.isFinite), `losses ${bf.losses}`);
  // Same weights and batch at step 1: the loss (computed in fp32 from a bf16 forward) within 2%.
  const [l0, r0] = [bf.losses[0] as number, ref.losses[0] as number];
  assert.ok(Math.abs(l0 - r0) < 0.02 * r0, `first loss ${l0} vs fp32 ${r0}`);
  // 4 SGD steps at lr 0.05 from the same start: bf16 rounding (2^-9 relative) moves weights far less than 1e-2.
  const flat = (w: number[][]) => w.flat();
  const [a, b] = [flat(ref.weights), flat(bf.weights)];
  const maxDiff = Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));
  assert.ok(maxDiff < 1e-2, `max weight difference ${maxDiff}`);
  assert.equal(liveTensors(), start);
});

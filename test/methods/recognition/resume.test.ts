// Issue #12: SphereFace's λ annealing lives in the state dict (head.iteration), so a run resumed from
// a checkpoint anneals exactly as an uninterrupted one. Oracle: sphereFaceLambda(step) by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type SphereFaceHead, sphereFaceLambda } from "../../../src/losses/index.js";
import { createRecognizer } from "../../../src/methods/recognition/recognizer.js";
import { trainRecognizer } from "../../../src/methods/recognition/train.js";
import { liveTensors, manualSeed, randint, randn, type Tensor, tidy } from "../../../src/torch/index.js";
import { deserialize, serialize } from "../../../src/torch/safetensors.js";

const make = () => {
  manualSeed(0);
  return createRecognizer({ backbone: "convnet", width: 4, embeddingDim: 8, numClasses: 3, loss: "sphereface" });
};

test("sphereface: λ at step k after a resume equals the uninterrupted run's (and the hand-computed schedule)", async () => {
  const start = liveTensors();
  manualSeed(5);
  const data = tidy(() => ({ images: randn([24, 3, 8, 8]), labels: randint(0, 3, [24]) }));
  const o = { epochs: 3, batchSize: 8, lr: 0.01, seed: 1 };
  const lambdas = (model: ReturnType<typeof make>, into: number[]) => ({
    onStep: () => into.push((model.head as SphereFaceHead).lambda),
  });
  // Uninterrupted: 3 epochs × 3 steps; after step k the head holds λ for step k+1.
  const whole: number[] = [];
  const a = make();
  await trainRecognizer(a, data, { ...o, ...lambdas(a, whole) });
  assert.deepEqual(
    whole,
    Array.from({ length: 9 }, (_, k) => sphereFaceLambda(k + 1)),
  );
  // Interrupted after epoch 1, resumed from the serialised state dict in a fresh model.
  const first = make();
  await trainRecognizer(first, data, { ...o, epochs: 1 });
  const sd = first.stateDict();
  assert.ok(sd.has("head.iteration"), "the iteration is in the state dict");
  const bytes = serialize(sd);
  for (const t of sd.values()) t.dispose();
  first.dispose();
  const resumed = make();
  const loaded = deserialize(bytes).tensors;
  resumed.loadStateDict(loaded);
  for (const t of loaded.values()) t.dispose();
  const after: number[] = [];
  await trainRecognizer(resumed, data, { ...o, epochs: 2, ...lambdas(resumed, after) });
  assert.deepEqual(after, whole.slice(3));
  for (const m of [a, resumed]) m.dispose();
  for (const t of Object.values(data) as Tensor[]) t.dispose();
  assert.equal(liveTensors(), start);
});

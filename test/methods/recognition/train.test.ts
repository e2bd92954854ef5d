import assert from "node:assert/strict";
import { test } from "node:test";
import { type HeadName, parseLossConfig, type RingSoftmaxHead } from "../../../src/losses/index.js";
import { createRecognizer } from "../../../src/methods/recognition/recognizer.js";
import { embedAll, trainRecognizer } from "../../../src/methods/recognition/train.js";
import { liveTensors, manualSeed, randn, type Tensor, tensor, tidy } from "../../../src/torch/index.js";

/** 6 classes, each a fixed random 3×12×12 pattern plus noise: separable, so every loss must learn it. */
function toyData(perClass: number, seed: number): { images: Tensor; labels: Tensor } {
  return tidy(() => {
    manualSeed(1234); // prototypes do not depend on the seed
    const protos = randn([6, 3, 12, 12]);
    manualSeed(seed);
    const labels = tensor(
      Array.from({ length: 6 * perClass }, (_, i) => i % 6),
      { dtype: "int64" },
    );
    const images = protos.indexSelect(0, labels).add(randn([6 * perClass, 3, 12, 12]).mul(0.8));
    return { images, labels };
  });
}

for (const loss of ["softmax", "ring", "sphereface", "sphereface-r", "cosface", "arcface"]) {
  test(`${loss}: loss falls and held-out accuracy beats chance by far; no tensor leaks`, async () => {
    const start = liveTensors();
    const train = toyData(8, 1);
    const val = toyData(4, 2);
    manualSeed(0);
    const model = createRecognizer({
      backbone: "convnet",
      width: 8,
      embeddingDim: 16,
      numClasses: 6,
      loss: loss === "cosface" || loss === "arcface" ? parseLossConfig({ name: loss, scale: 16 }) : (loss as HeadName),
    });
    const hist = await trainRecognizer(model, train, { epochs: 8, batchSize: 12, lr: 0.05, seed: 0, warmupEpochs: 1 });
    assert.equal(hist.length, 8);
    assert.ok(
      (hist.at(-1) as { loss: number }).loss < (hist[0] as { loss: number }).loss,
      `${loss}: loss did not fall`,
    );
    const acc = tidy(() => {
      const { logits } = embedAll(model, val.images);
      return logits.argmax(1).eq(val.labels).float().mean().item();
    });
    assert.ok(acc > 0.6, `${loss}: held-out accuracy ${acc} (chance 1/6)`);
    if (loss === "ring")
      assert.ok(Math.abs((model.head as RingSoftmaxHead).ring.radius.item()) > 0, "radius initialised");
    model.dispose();
    train.images.dispose();
    train.labels.dispose();
    val.images.dispose();
    val.labels.dispose();
    assert.equal(liveTensors(), start);
  });
}

test("unknown loss names are refused with the list of known ones, and nothing is leaked", () => {
  const start = liveTensors();
  assert.throws(
    () => createRecognizer({ backbone: "convnet", embeddingDim: 4, numClasses: 3, loss: "triplet" as HeadName }),
    /unknown loss name "triplet": expected one of softmax, ring/,
  );
  // A bad head option fails after the backbone exists: its parameters must be freed too.
  assert.throws(() => createRecognizer({ backbone: "convnet", embeddingDim: 4, numClasses: 0, loss: "arcface" }));
  assert.equal(liveTensors(), start);
});

test("a ResNet-18 backbone (CIFAR stem, width 8) plugs in under the embedding layer", async () => {
  const start = liveTensors();
  const model = createRecognizer({
    backbone: "resnet18",
    width: 8,
    cifarStem: true,
    embeddingDim: 16,
    numClasses: 3,
    loss: "arcface",
  });
  assert.equal(model.backbone.featureDim, 64);
  const sd = model.stateDict();
  assert.ok(sd.has("backbone.layer4.1.bn2.running_var"), "torchvision names under backbone.");
  assert.ok(sd.has("head.weight") && sd.has("embedding.weight") && sd.has("bn.running_mean"));
  for (const t of sd.values()) t.dispose();
  const shape = tidy(() => model.call(randn([4, 3, 16, 16])).shape);
  assert.deepEqual(shape, [4, 16]);
  model.dispose();
  assert.equal(liveTensors(), start);
});

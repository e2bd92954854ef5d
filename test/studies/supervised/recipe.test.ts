import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FASHION_MNIST_DIR } from "../../../src/data/idx.js";
import { parseDescriptor } from "../../../src/report/descriptors.js";
import { runTraining, trainConfigSchema } from "../../../src/studies/supervised/recipe.js";
import { liveTensors } from "../../../src/torch/index.js";

const root = mkdtempSync(join(tmpdir(), "facelab-train-"));
process.env.FACELAB_CACHE = join(root, "cache"); // synthetic faces are cached: keep them out of the tree
after(() => rmSync(root, { recursive: true, force: true }));

test("Fashion-MNIST with Ring loss: well above chance, loss curve and confusion matrix in the run", {
  skip: !existsSync(join(FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz")) && !process.env.FACELAB_FASHION_MNIST,
}, async () => {
  const start = liveTensors();
  const cfg = trainConfigSchema.parse({
    name: "fm-ring",
    data: { dataset: "fashion-mnist", trainLimit: 1200, testLimit: 400 },
    model: { backbone: "convnet", width: 8, embeddingDim: 32 },
    loss: { name: "ring", weight: 0.01 },
    train: { epochs: 3, batchSize: 64, lr: 0.05, warmupEpochs: 0.5, augment: false },
    expect: { minAccuracy: 0.6, source: "test bar" },
  });
  const r = await runTraining(cfg, { runsRoot: root });
  assert.ok(r.testAccuracy > 0.6, `test accuracy ${r.testAccuracy} (chance 0.1)`);
  assert.equal(r.metExpectation, true);
  const report = JSON.parse(readFileSync(join(r.dir, "report.json"), "utf8")) as unknown[];
  for (const [i, d] of report.entries()) parseDescriptor(d, i);
  const confusion = report.find((d) => (d as { kind: string }).kind === "confusion") as {
    data: { matrix: number[][] };
  };
  assert.equal(
    confusion.data.matrix.flat().reduce((a, b) => a + b, 0),
    400,
    "every test image in the confusion matrix",
  );
  assert.ok(report.some((d) => (d as { kind: string }).kind === "loss"));
  const summary = JSON.parse(readFileSync(join(r.dir, "summary.json"), "utf8"));
  assert.equal(summary.testAccuracy, r.testAccuracy);
  assert.ok(existsSync(join(r.dir, "metrics.jsonl")));
  assert.equal(liveTensors(), start);
});

test("synthetic face identities with A-Softmax (m=4, λ annealed): learns people it saw in other photos", async () => {
  const cfg = trainConfigSchema.parse({
    name: "faces-asoftmax",
    data: { dataset: "synthetic-faces", identities: 8, imagesPerIdentity: 8, imageSize: 24 },
    model: { backbone: "convnet", width: 8, embeddingDim: 32 },
    loss: { name: "sphereface", m: 4 },
    train: { epochs: 12, batchSize: 16, lr: 0.05, warmupEpochs: 1, clipGradNorm: 5 },
  });
  const r = await runTraining(cfg, { runsRoot: root });
  assert.ok(r.testAccuracy > 0.3, `accuracy ${r.testAccuracy} on unseen photos of 8 people (chance 0.125)`);
});

test("config errors name the key", () => {
  assert.throws(
    () => trainConfigSchema.parse({ name: "x", data: { dataset: "mnist" }, loss: { name: "ring" } }),
    /dataset/,
  );
});

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FASHION_MNIST_DIR } from "../../../src/data/idx.js";
import { parseDescriptor } from "../../../src/report/descriptors.js";
import { runTraining, trainConfigSchema } from "../../../src/studies/supervised/recipe.js";
import { liveTensors } from "../../../src/torch/index.js";
import { loadFile } from "../../../src/torch/safetensors.js";

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

/** Synthetic face identities, a small convnet and A-Softmax (m = 4, λ annealed; lr 0.05, 1 warm-up epoch, clip 5). */
const sphereFaces = (
  name: string,
  o: { identities: number; imagesPerIdentity: number; imageSize: number; width: number; embeddingDim: number },
  train: { epochs: number; batchSize: number },
) =>
  trainConfigSchema.parse({
    name,
    data: {
      dataset: "synthetic-faces",
      identities: o.identities,
      imagesPerIdentity: o.imagesPerIdentity,
      imageSize: o.imageSize,
    },
    model: { backbone: "convnet", width: o.width, embeddingDim: o.embeddingDim },
    loss: { name: "sphereface", m: 4 },
    train: { ...train, lr: 0.05, warmupEpochs: 1, clipGradNorm: 5 },
  });

test("synthetic face identities with A-Softmax (m=4, λ annealed): learns people it saw in other photos", async () => {
  const cfg = sphereFaces(
    "faces-asoftmax",
    { identities: 8, imagesPerIdentity: 8, imageSize: 24, width: 8, embeddingDim: 32 },
    { epochs: 12, batchSize: 16 },
  );
  const r = await runTraining(cfg, { runsRoot: root });
  assert.ok(r.testAccuracy > 0.3, `accuracy ${r.testAccuracy} on unseen photos of 8 people (chance 0.125)`);
});

test("train --stop-after 1 then --resume: the same final weights, test accuracy and loss curve as an uninterrupted run", async () => {
  const start = liveTensors();
  // SphereFace: its λ annealing (head.iteration) must continue, not restart, after the resume.
  const cfg = sphereFaces(
    "resume",
    { identities: 6, imagesPerIdentity: 4, imageSize: 16, width: 4, embeddingDim: 8 },
    { epochs: 3, batchSize: 6 },
  );
  const runsRoot = join(root, "resume");
  const whole = await runTraining(cfg, { runsRoot });
  const killed = await runTraining(cfg, { runsRoot, stopAfterEpoch: 1 });
  assert.equal(killed.stoppedAfterEpoch, 1);
  assert.ok(Number.isNaN(killed.testAccuracy), "a stopped run evaluates nothing");
  const resumed = await runTraining(cfg, { runsRoot, resumeFrom: killed.dir });
  assert.equal(resumed.stoppedAfterEpoch, undefined);
  assert.notEqual(resumed.dir, killed.dir, "a resumed run writes a new run directory");

  const finalWeights = (dir: string) => {
    const ckpts = join(dir, "checkpoints");
    const file = readdirSync(ckpts)
      .filter((f) => /^step-\d+\.safetensors$/.test(f))
      .sort()
      .at(-1) as string;
    const t = loadFile(join(ckpts, file));
    const out = new Map([...t].map(([k, v]) => [k, v.toNumbers()]));
    for (const v of t.values()) v.dispose();
    return out;
  };
  const a = finalWeights(whole.dir);
  assert.ok(a.has("head.iteration"));
  assert.deepEqual(finalWeights(resumed.dir), a);
  assert.equal(resumed.testAccuracy, whole.testAccuracy);
  const metrics = (dir: string) =>
    readFileSync(join(dir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { tag: string; epoch: number; value: number });
  // It did resume: only epochs 2 and 3 were trained (and evaluated) in the resumed run.
  const evaluated = (dir: string) => metrics(dir).flatMap((m) => (m.tag === "test/accuracy" ? [m.epoch] : []));
  assert.deepEqual(evaluated(resumed.dir), [2, 3]);
  assert.deepEqual(evaluated(whole.dir), [1, 2, 3]);
  const curve = (dir: string) =>
    metrics(dir)
      .filter((m) => m.tag === "train/loss")
      .map((m) => [m.epoch, m.value])
      .sort((x, y) => (x[0] as number) - (y[0] as number)); // restored epochs are logged after the new ones
  assert.equal(curve(whole.dir).length, 3);
  assert.deepEqual(curve(resumed.dir), curve(whole.dir));
  assert.equal(liveTensors(), start);
});

test("config errors name the key", () => {
  assert.throws(
    () => trainConfigSchema.parse({ name: "x", data: { dataset: "mnist" }, loss: { name: "ring" } }),
    /dataset/,
  );
});

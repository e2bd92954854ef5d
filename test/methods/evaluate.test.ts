import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveSeed } from "../../src/data/rng.js";
import { knnAccuracy } from "../../src/eval/knn.js";
import { labelledSubset, loadPretrainedEncoder, runEvalSuite } from "../../src/methods/evaluate.js";
import { projectFeatures } from "../../src/methods/evaluate-finetune.js";
import { extractFeatures, labelTensor } from "../../src/methods/features.js";
import { logisticProbe } from "../../src/methods/logistic.js";
import { EvaluateSchema } from "../../src/methods/simclr-config.js";
import { ProjectionHead } from "../../src/models/heads.js";
import { liveTensors, tidy } from "../../src/torch/index.js";
import { allLabelRows, head2, stripesSetup, TinyEncoder } from "./helpers.js";

test("labelled subsets are class-stratified: every class present, shares kept", () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : 1 + (i % 5))); // class 0 is half
  const counts = (idx: Int32Array) => {
    const c = new Array(6).fill(0);
    for (const i of idx) c[labels[i]!]++;
    return c;
  };
  assert.deepEqual(counts(labelledSubset(labels, 0.1, 1)), [50, 10, 10, 10, 10, 10]);
  assert.deepEqual(counts(labelledSubset(labels, 0.01, 1)), [5, 1, 1, 1, 1, 1]);
  assert.equal(labelledSubset(labels, 1, 1).length, 1000);
  // Seeded: the same seed draws the same subset, another seed another one.
  assert.deepEqual(labelledSubset(labels, 0.1, 7), labelledSubset(labels, 0.1, 7));
  assert.notDeepEqual(labelledSubset(labels, 0.1, 7), labelledSubset(labels, 0.1, 8));
});

test("the evaluation suite runs all four methods side by side, also from the first projection layer with a probe-started head", async () => {
  const start = liveTensors();
  const { task, pretrained, dispose } = stripesSetup(3);
  const cfg = EvaluateSchema.parse({
    labelFractions: [0.5],
    linearProbe: { epochs: 2 },
    finetune: { epochs: 2, fromProjectionLayer: 1, headInit: "probe", guards: false },
    scratch: { epochs: 2, guards: false },
  });
  const epochs: string[] = [];
  const rows = await runEvalSuite({
    makeEncoder: () => new TinyEncoder(1, 8),
    makeHead: (d) => new ProjectionHead(d, { layers: 3, hidden: 16, out: 8 }),
    pretrained,
    pretrainEpoch: 5,
    tasks: [task],
    cfg,
    seed: 0,
    onEpoch: (_t, m, f, r) => epochs.push(`${m}@${f}:${r.epoch}`),
  });
  assert.deepEqual(
    rows.map((r) => [r.method, r.labelled, r.pretrainEpoch]),
    [
      ["linear-probe", 48, 5],
      ["linear-probe-random-init", 48, 0],
      ["fine-tune", 48, 5],
      ["scratch", 48, 0],
    ],
  );
  for (const r of rows) {
    assert.equal(
      r.confusion.flat().reduce((a, b) => a + b, 0),
      48,
    );
    assert.equal(r.history.length, 2);
  }
  assert.ok(epochs.includes("fine-tune@0.5:2") && epochs.includes("scratch@0.5:1"));
  dispose();
  assert.equal(liveTensors(), start);
});

test("evaluate.repeats draws new subsets and seeds per repeat; repeat 0 equals the one-repeat run", async () => {
  const start = liveTensors();
  const { task, pretrained, dispose } = stripesSetup(2);
  const run = (repeats: number) =>
    runEvalSuite({
      makeEncoder: () => new TinyEncoder(1, 8),
      makeHead: (d) => new ProjectionHead(d, { layers: 2, hidden: 16, out: 8 }),
      pretrained,
      pretrainEpoch: 5,
      tasks: [task],
      cfg: EvaluateSchema.parse({
        labelFractions: [0.25],
        repeats,
        linearProbe: { epochs: 2 },
        finetune: { epochs: 1, guards: false },
        scratch: { epochs: 1, guards: false },
      }),
      seed: 0,
    });
  const one = await run(1);
  const three = await run(3);
  assert.equal(three.length, 12);
  assert.deepEqual(
    three.map((r) => r.repeat),
    [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
  );
  const strip = (r: (typeof one)[number]) => [r.method, r.repeat, r.accuracy, r.confusion];
  assert.deepEqual(three.slice(0, 4).map(strip), one.map(strip));
  // Other subsets and initialisations: the repeats' confusion matrices are not all the same.
  const sig = (rep: number) => JSON.stringify(three.filter((r) => r.repeat === rep).map((r) => r.confusion));
  assert.ok(sig(0) !== sig(1) || sig(1) !== sig(2), "repeats gave identical results");
  dispose();
  assert.equal(liveTensors(), start);
});

test("evaluate.knn: weighted kNN with the whole labelled pool as the bank, for the pretrained and a random-init encoder", async () => {
  const start = liveTensors();
  const setup = stripesSetup(2);
  const { train, val, pretrained, dispose } = setup;
  const rows = await allLabelRows(setup, { knn: { enabled: true, k: 5, temperature: 0.5 } });
  assert.deepEqual(
    rows.map((r) => [r.method, r.labelled, r.pretrainEpoch, r.fraction]),
    [
      ["knn", 96, 7, 1],
      ["knn-random-init", 96, 0, 1],
    ],
  );
  // Oracle: the same kNN computed directly on the pretrained encoder's features.
  const enc = new TinyEncoder(1, 8);
  loadPretrainedEncoder(enc, pretrained);
  const direct = tidy(() =>
    knnAccuracy(
      extractFeatures(enc, train.images),
      labelTensor(train.labels),
      extractFeatures(enc, val.images),
      val.labels,
      {
        k: 5,
        temperature: 0.5,
        numClasses: 4,
      },
    ),
  );
  enc.dispose();
  assert.equal(rows[0]!.accuracy, direct);
  for (const r of rows) {
    assert.equal(
      r.confusion.flat().reduce((a, b) => a + b, 0),
      48,
    );
    assert.equal(r.perClassRecall.length, 4);
  }
  dispose();
  assert.equal(liveTensors(), start);
});

test("the suite extracts each encoder's features once per task: kNN, L-BFGS and the probes share them, rows unchanged", async () => {
  const start = liveTensors();
  const { task, pretrained, dispose } = stripesSetup(2);
  let built = 0;
  const run = (cfg: Record<string, unknown>) =>
    runEvalSuite({
      makeEncoder: () => {
        built++;
        return new TinyEncoder(1, 8);
      },
      makeHead: (d) => new ProjectionHead(d, { layers: 2, hidden: 16, out: 8 }),
      pretrained,
      pretrainEpoch: 3,
      tasks: [task],
      cfg: EvaluateSchema.parse({
        labelFractions: [0.25],
        linearProbe: { epochs: 2 },
        finetune: { enabled: false },
        scratch: { enabled: false },
        ...cfg,
      }),
      seed: 0,
    });
  const all = await run({ knn: { enabled: true, k: 5 }, logisticProbe: { enabled: true, maxIter: 20 } });
  // Two encoders in all: the pretrained one and repetition 0's random init (one each for kNN, L-BFGS and
  // the probe, and one pretrained, were four before the features were shared).
  assert.equal(built, 2);
  assert.deepEqual(
    all.map((r) => r.method),
    [
      "knn",
      "knn-random-init",
      "logistic-probe",
      "logistic-probe-random-init",
      "linear-probe",
      "linear-probe-random-init",
    ],
  );
  // Oracle: each kind of row equals the one a suite with that kind alone computes.
  const strip = (r: (typeof all)[number]) => [r.method, r.accuracy, r.confusion, r.epochs];
  const alone = [
    ...(await run({ labelFractions: [], knn: { enabled: true, k: 5 } })),
    ...(await run({ labelFractions: [], logisticProbe: { enabled: true, maxIter: 20 } })),
    ...(await run({})),
  ];
  assert.deepEqual(all.map(strip), alone.map(strip));
  dispose();
  assert.equal(liveTensors(), start);
});

test("evaluate.logisticProbe.fromProjectionLayer 1: the L-BFGS rows probe h mapped through the head's first block (pretrained; fresh for random init)", async () => {
  const start = liveTensors();
  const setup = stripesSetup(2);
  const { train, val, pretrained, dispose } = setup;
  const logs: string[] = [];
  const rows = await allLabelRows(
    setup,
    { logisticProbe: { enabled: true, fromProjectionLayer: 1, maxIter: 20 } },
    (m) => logs.push(m),
  );
  assert.deepEqual(
    rows.map((r) => r.method),
    ["logistic-probe", "logistic-probe-random-init"],
  );
  assert.ok(logs.some((l) => l.startsWith("stripes logistic-probe (head block 0): λ")));
  // Oracle: the probe run directly on the pretrained encoder's h through the pretrained block 0.
  const enc = new TinyEncoder(1, 8);
  loadPretrainedEncoder(enc, pretrained);
  const h = [extractFeatures(enc, train.images), extractFeatures(enc, val.images)];
  const p = projectFeatures({ makeHead: head2, pretrained }, h, true, 0);
  const direct = logisticProbe({ x: p[0]!, y: train.labels }, { x: p[1]!, y: val.labels }, 4, {
    maxIter: 20,
    seed: deriveSeed(0, 0x1091c),
  });
  assert.equal(rows[0]!.accuracy, direct.accuracy);
  for (const t of [...h, ...p]) t.dispose();
  enc.dispose();
  dispose();
  assert.equal(liveTensors(), start);
});

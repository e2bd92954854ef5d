import assert from "node:assert/strict";
import { test } from "node:test";
import { finetuneModel, projectFeatures } from "../../src/methods/evaluate-finetune.js";
import { simclrModel } from "../../src/methods/simclr.js";
import { trainNetwork } from "../../src/methods/supervised.js";
import { EncoderClassifier, ProjectionHead } from "../../src/models/heads.js";
import { keep, liveTensors, manualSeed, noGrad, randn, type Tensor, tidy } from "../../src/torch/index.js";
import { Linear } from "../../src/torch/nn/index.js";
import { stripes, TinyEncoder } from "./helpers.js";

const HEAD = { layers: 2, hidden: 24, out: 8 };
const source = (pretrained: Map<string, Tensor>) => ({
  makeEncoder: () => new TinyEncoder(1, 8),
  makeHead: (d: number) => new ProjectionHead(d, HEAD),
  pretrained,
});

/** A SimCLR state whose every float value is shifted by 0.5 + 0.01·(key index): unlike any fresh init. */
function shiftedPretrained(): Map<string, Tensor> {
  manualSeed(7);
  const model = simclrModel(new TinyEncoder(1, 8), HEAD);
  const out = new Map<string, Tensor>();
  [...model.stateDict()].forEach(([k, v], i) => {
    out.set(k, v.dtype === "float32" ? keep(tidy(() => v.add(0.5 + 0.01 * i))) : v);
    if (v.dtype === "float32") v.dispose();
  });
  model.dispose();
  return out;
}

/** Every tensor's values by name; disposes the map's handles (a state dict's fresh aliases). */
const values = (m: Map<string, Tensor>) =>
  new Map(
    [...m].map(([k, v]) => {
      const n = v.toNumbers();
      v.dispose();
      return [k, n] as const;
    }),
  );

test("fine-tuning from the head's first layer builds encoder + head block 0 with the pretrained weights, then a fresh fc; scratch the same shapes from random init", () => {
  const start = liveTensors();
  const pre = shiftedPretrained();
  const want = new Map([...pre].map(([k, v]) => [k, v.toNumbers()]));
  const seeds = { init: 11, head: 12 };
  // fromProjectionLayer 1: encoder.* = pretrained encoder.*, proj.* = pretrained head.0.*, fc is 10 × hidden
  const m1 = finetuneModel(source(pre), 10, { fromProjectionLayer: 1 }, true, seeds);
  const got = values(m1.stateDict());
  const expected = new Map<string, number[]>();
  for (const [k, v] of want) {
    if (k.startsWith("encoder.")) expected.set(k, v);
    if (k.startsWith("head.0.")) expected.set(`proj.${k.slice(7)}`, v);
  }
  assert.ok(expected.size > 10 && [...expected.keys()].some((k) => k.startsWith("proj.1.running_mean")));
  for (const [k, v] of expected) assert.deepEqual(got.get(k), v, k);
  assert.deepEqual(
    [...got.keys()].filter((k) => !expected.has(k)),
    ["fc.weight", "fc.bias"],
  );
  assert.deepEqual(m1.fc.weight.shape, [10, 24]);
  // the fresh fc is PyTorch's Linear(24, 10) init drawn under seeds.head
  manualSeed(12);
  const fc = new Linear(24, 10);
  assert.deepEqual(m1.fc.weight.toNumbers(), fc.weight.toNumbers());

  // fromProjectionLayer 0: encoder + fc on h (16 wide), no projection block
  const m0 = finetuneModel(source(pre), 10, { fromProjectionLayer: 0 }, true, seeds);
  assert.equal(m0.proj, null);
  assert.deepEqual(m0.fc.weight.shape, [10, 16]);
  for (const [k, v] of values(m0.encoder.stateDict())) assert.deepEqual(v, want.get(`encoder.${k}`), k);

  // scratch: the random init of seeds.init; with fromProjectionLayer 1 a fresh block of the head's
  // first block's shape, drawn after the encoder (not the pretrained one)
  const s = finetuneModel(source(pre), 10, { fromProjectionLayer: 1 }, false, seeds);
  manualSeed(11);
  const init = new TinyEncoder(1, 8);
  const initHead = new ProjectionHead(16, HEAD);
  assert.deepEqual(values(s.encoder.stateDict()), values(init.stateDict()));
  assert.deepEqual(values(s.proj!.stateDict()), values(initHead.blocks[0]!.stateDict()));
  assert.notDeepEqual(values(s.encoder.stateDict()).get("body.0.weight"), want.get("encoder.body.0.weight"));
  assert.notDeepEqual(values(s.proj!.stateDict()).get("0.weight"), want.get("head.0.0.weight"));
  const s0 = finetuneModel(source(pre), 10, { fromProjectionLayer: 0 }, false, seeds);
  assert.equal(s0.proj, null);
  assert.deepEqual(values(s0.encoder.stateDict()), values(init.stateDict()));
  for (const x of [m1, m0, s, s0, init, initHead, fc]) x.dispose();
  for (const t of pre.values()) t.dispose();
  assert.equal(liveTensors(), start);
});

/** One SGD step (one epoch, one batch, no augmentation) of a tiny classifier; parameters before and after. */
async function oneStep(o: { backboneLrScale?: number; labelSmoothing?: number }) {
  const data = stripes(16, 8, 3);
  manualSeed(5);
  const model = new EncoderClassifier(new TinyEncoder(1, 4), 4);
  const before = values(model.stateDict());
  const head = new Map(model.fc.namedParameters().map(([k, v]) => [`fc.${k}`, v]));
  // the loss before the step, in train mode (BN batch statistics), as the loop computes it
  const logits = tidy(() => noGrad(() => model.call(data.images.float().div(255)).toArray() as number[][]));
  const r = await trainNetwork(model, head, data, data, 4, {
    epochs: 1,
    batchSize: 16,
    lr: 0.2,
    weightDecay: 0,
    guards: false,
    seed: 1,
    ...o,
  });
  const after = values(model.stateDict());
  model.dispose();
  data.images.dispose();
  return { before, after, loss: r.history[0]!.loss, logits, labels: data.labels };
}

test("finetune.backboneLrScale: one step moves the encoder by exactly scale × the one-LR step, the head by the same", async () => {
  const start = liveTensors();
  const one = await oneStep({});
  const tenth = await oneStep({ backboneLrScale: 0.1 });
  let encoderChecked = 0;
  for (const [k, b] of one.before) {
    if (!k.endsWith("weight") && !k.endsWith("bias")) continue; // BN running stats move with the batch, not the LR
    const d1 = one.after.get(k)!.map((v, i) => v - b[i]!);
    const d2 = tenth.after.get(k)!.map((v, i) => v - b[i]!);
    const scale = k.startsWith("fc.") ? 1 : 0.1;
    if (!k.startsWith("fc.")) encoderChecked++;
    for (const [i, v] of d1.entries())
      assert.ok(Math.abs(d2[i]! - scale * v) <= 1e-6 + 1e-4 * Math.abs(v), `${k}[${i}]: ${d2[i]} vs ${scale}·${v}`);
    assert.ok(
      d1.some((v) => v !== 0),
      `${k} moved`,
    );
  }
  assert.ok(encoderChecked >= 3);
  assert.equal(liveTensors(), start);
});

test("finetune.labelSmoothing: the training loss is (1 − ε)·CE + ε·mean over classes of −log p (hand-derived in float64)", async () => {
  const start = liveTensors();
  const eps = 0.2;
  const r = await oneStep({ labelSmoothing: eps });
  let want = 0;
  for (const [i, row] of r.logits.entries()) {
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
    const nll = row.map((v) => lse - v);
    want += (1 - eps) * nll[r.labels[i]!]! + (eps * nll.reduce((a, b) => a + b, 0)) / row.length;
  }
  want /= r.logits.length;
  assert.ok(Math.abs(r.loss - want) < 1e-5, `loss ${r.loss} vs ${want}`);
  const plain = await oneStep({});
  assert.ok(Math.abs(plain.loss - want) > 1e-3, "smoothing changes the loss");
  assert.equal(liveTensors(), start);
});

test("projectFeatures maps h through the pretrained head's first block in eval mode: relu(γ·(W·h − μ)/√(σ² + 1e-5) + β), by hand in float64", () => {
  const start = liveTensors();
  const pre = shiftedPretrained();
  const v = (k: string) => pre.get(k)!.toNumbers();
  const [W, g, b, mu, vr] = ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var"].map((k) =>
    v(`head.0.${k}`),
  );
  manualSeed(4);
  const h = [randn([5, 16]), randn([3, 16])];
  const [p5, p3] = projectFeatures(source(pre), h, true, 9);
  for (const [x, p] of [
    [h[0]!, p5!],
    [h[1]!, p3!],
  ] as const) {
    const xs = x.toArray() as number[][];
    const want = xs.flatMap((row) =>
      Array.from({ length: 24 }, (_, j) => {
        const wh = row.reduce((s, xi, i) => s + W![j * 16 + i]! * xi, 0);
        return Math.max(0, (g![j]! * (wh - mu![j]!)) / Math.sqrt(vr![j]! + 1e-5) + b![j]!);
      }),
    );
    assert.deepEqual(p.shape, [xs.length, 24]);
    for (const [i, got] of p.toNumbers().entries())
      assert.ok(Math.abs(got - want[i]!) < 1e-4 * (1 + Math.abs(want[i]!)), `[${i}] ${got} vs ${want[i]}`);
  }
  // the random-init baseline: a fresh block drawn under the seed, not the pretrained one
  const [r5] = projectFeatures(source(pre), [h[0]!], false, 9);
  manualSeed(9);
  const fresh = new ProjectionHead(16, HEAD);
  fresh.eval();
  const want = tidy(() => fresh.blocks[0]!.call(h[0]!).toNumbers());
  assert.deepEqual(r5!.toNumbers(), want);
  for (const t of [...h, p5!, p3!, r5!, ...pre.values()]) t.dispose();
  fresh.dispose();
  assert.equal(liveTensors(), start);
});

test("finetune.validations: validation passes at every ⌈epochs/validations⌉-th epoch and the last; the final row is unchanged", async () => {
  const start = liveTensors();
  const data = stripes(16, 8, 3);
  const run = async (validations?: number) => {
    manualSeed(5);
    const model = new EncoderClassifier(new TinyEncoder(1, 4), 4);
    const head = new Map(model.fc.namedParameters().map(([k, v]) => [`fc.${k}`, v]));
    const r = await trainNetwork(model, head, data, data, 4, {
      epochs: 10,
      batchSize: 8,
      lr: 0.1,
      weightDecay: 0,
      guards: false,
      seed: 1,
      validations,
    });
    model.dispose();
    return r;
  };
  const all = await run();
  const three = await run(3);
  assert.deepEqual(
    all.history.map((h) => h.epoch),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(
    three.history.map((h) => h.epoch),
    [4, 8, 10], // ⌈10/3⌉ = 4
  );
  assert.deepEqual(three.final, all.final);
  assert.deepEqual(three.history.at(-1)!.loss, all.history.at(-1)!.loss);
  data.images.dispose();
  assert.equal(liveTensors(), start);
});

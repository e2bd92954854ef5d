import assert from "node:assert/strict";
import { test } from "node:test";
import { SimclrConfigSchema, scaledLr } from "../../src/methods/simclr-config.js";
import { pipelineConfig } from "../../src/methods/views.js";

const base = { name: "x", data: { dataset: "fashion-mnist" } };

test("augment ranges must be ordered; the error names the field", () => {
  for (const [field, v] of [
    ["cropScale", [0.9, 0.2]],
    ["cropRatio", [2, 1]],
  ] as const) {
    const r = SimclrConfigSchema.safeParse({ ...base, pretrain: { augment: { [field]: v } } });
    assert.equal(r.success, false);
    assert.match(
      r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      new RegExp(`pretrain\\.augment\\.${field}: .*low ≤ high`),
    );
  }
  assert.equal(
    SimclrConfigSchema.safeParse({ ...base, evaluate: { finetune: { cropScale: [1, 0.5] } } }).success,
    false,
  );
});

test("colour jitter: strength s gives (0.8s, 0.8s, 0.8s, 0.2s) in the pipeline unless explicit factors are given", () => {
  const cfg = SimclrConfigSchema.parse(base);
  const p = pipelineConfig(cfg.pretrain.augment, 32);
  assert.equal(p.jitter.strength, 0.5);
  assert.equal(p.jitter.factors, undefined);
  assert.deepEqual(p.ratio, [3 / 4, 4 / 3]);
  const faces = SimclrConfigSchema.parse({
    ...base,
    pretrain: {
      augment: { cropRatio: [0.9, 1.1], jitter: { brightness: 0.1, contrast: 0.3, saturation: 0.2, hue: 0 } },
    },
  });
  const q = pipelineConfig(faces.pretrain.augment, 32);
  assert.deepEqual(q.jitter.factors, [0.1, 0.3, 0.2, 0]);
  assert.deepEqual(q.ratio, [0.9, 1.1]);
  assert.equal(
    SimclrConfigSchema.safeParse({ ...base, pretrain: { augment: { jitter: { brightness: 0.1 } } } }).success,
    false,
  );
});

test("learning-rate scaling with batch size (google tf2/run.py)", () => {
  assert.equal(scaledLr(0.3, 512, "linear"), 0.6);
  assert.equal(scaledLr(0.075, 1024, "sqrt"), 2.4);
  assert.equal(scaledLr(0.002, 4096, "none"), 0.002);
});

// The loss registry's config: a discriminated union by name, defaults from LOSS_DEFAULTS, unknown
// keys and the retired overloaded `m` are errors naming the key.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createHead, HEAD_NAMES, HEADS, LOSS_DEFAULTS, parseLossConfig, softmaxLoss } from "../../src/losses/index.js";
import { noGrad, tensor, tidy } from "../../src/torch/index.js";

test("defaults come from LOSS_DEFAULTS, one key per meaning", () => {
  assert.deepEqual(parseLossConfig("arcface"), { name: "arcface", margin: 0.5, scale: 64, easyMargin: false });
  assert.deepEqual(parseLossConfig({ name: "cosface" }), { name: "cosface", margin: 0.35, scale: 64 });
  assert.deepEqual(parseLossConfig({ name: "sphereface-r" }), { name: "sphereface-r", multiplier: 1.5, scale: 30 });
  assert.deepEqual(parseLossConfig({ name: "sphereface", lambda: { min: 3 } }), {
    name: "sphereface",
    m: 4,
    lambda: { base: 1000, gamma: 0.12, power: 1, min: 3 },
  });
  assert.deepEqual(parseLossConfig("softmax"), { name: "softmax", labelSmoothing: 0 });
  assert.deepEqual(parseLossConfig({ name: "ring" }), { name: "ring", type: "l2", labelSmoothing: 0 });
  assert.equal(LOSS_DEFAULTS.arcface.margin, 0.5);
  assert.deepEqual(Object.keys(HEADS).sort(), [...HEAD_NAMES].sort());
});

test("unknown names, unknown keys and wrong values are errors that name the key", () => {
  assert.throws(() => parseLossConfig({ name: "triplet" }), /unknown loss name "triplet": expected one of softmax/);
  // `m` means SphereFace's integer only; CosFace/ArcFace take `margin`, SphereFace-R `multiplier`.
  assert.throws(() => parseLossConfig({ name: "arcface", m: 0.5 }), /loss: Unrecognized key: "m"/);
  assert.throws(() => parseLossConfig({ name: "sphereface-r", m: 1.5 }), /Unrecognized key: "m"/);
  assert.throws(() => parseLossConfig({ name: "sphereface", m: 2.5 }), /loss\.m: /);
  assert.throws(() => parseLossConfig({ name: "ring", type: "l3" }), /loss\.type: /);
  assert.throws(() => parseLossConfig({ name: "softmax", labelSmoothing: 1 }), /loss\.labelSmoothing: /);
  assert.throws(() => parseLossConfig({ name: "sphereface", lambda: { floor: 1 } }), /Unrecognized key: "floor"/);
});

test("label smoothing reaches softmaxLoss and the softmax head: −Σ q·log p with q = (1−ε)·onehot + ε/C", () => {
  tidy(() => {
    const x = tensor([[1, 0]], { dtype: "float64" });
    const w = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype: "float64" },
    );
    const y = tensor([0], { dtype: "int64" });
    const eps = 0.2;
    const lse = Math.log(Math.E + 1);
    const want = -((1 - eps + eps / 2) * (1 - lse) + (eps / 2) * -lse);
    const got = softmaxLoss(x, w, null, y, { labelSmoothing: eps }).loss.item();
    assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
    using head = createHead({ name: "softmax", labelSmoothing: eps }, 2, 2, { dtype: "float64" });
    noGrad(() => {
      head.weight.copy_(w).dispose();
      head.stateDict().get("bias")?.zero_().dispose();
    });
    assert.ok(Math.abs(head.call(x, y).loss.item() - want) < 1e-12);
  });
});

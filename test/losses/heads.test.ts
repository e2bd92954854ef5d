import assert from "node:assert/strict";
import { test } from "node:test";
import {
  arcFaceLoss,
  createHead,
  HEAD_NAMES,
  type HeadName,
  type LossConfigInput,
  RingLoss,
  RingSoftmaxHead,
  SphereFaceHead,
  sphereFaceLambda,
  sphereFaceLoss,
} from "../../src/losses/index.js";
import { liveTensors, manualSeed, noGrad, randint, randn, type Tensor, tensor, tidy } from "../../src/torch/index.js";

const close = (a: number, b: number, tol = 1e-12, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

test("heads by name: state_dict keys, forward = the pure loss with the head's weight, logits(x) = eval logits", () => {
  const start = liveTensors();
  tidy(() => {
    manualSeed(0);
    const x = randn([6, 8], { dtype: "float64" });
    const y = randint(0, 5, [6]);
    const keys: Record<string, string[]> = {
      softmax: ["weight", "bias"],
      ring: ["weight", "bias", "ring.radius"],
      sphereface: ["weight", "iteration"],
      "sphereface-r": ["weight"],
      cosface: ["weight"],
      arcface: ["weight"],
    };
    for (const name of HEAD_NAMES) {
      using head = createHead(name, 8, 5, { dtype: "float64" });
      assert.deepEqual([...head.stateDict().keys()], keys[name], name);
      head.eval();
      const out = head.call(x, y);
      assert.deepEqual(out.logits.shape, [6, 5]);
      close(out.logits.sub(head.logits(x)).abs().max().item(), 0, 1e-12, `${name} logits`);
      assert.ok(Number.isFinite(out.loss.item()));
    }
    using arc = createHead({ name: "arcface", scale: 10, margin: 0.3 }, 8, 5, { dtype: "float64" });
    close(
      arc.call(x, y).loss.item(),
      arcFaceLoss(x, arc.weight, y, { scale: 10, margin: 0.3 }).loss.item(),
      0,
      "arcface",
    );
    assert.throws(() => createHead("nope" as never, 8, 5), /unknown loss name "nope": expected one of softmax/);
  });
  assert.equal(liveTensors(), start);
});

test("SphereFace head anneals λ per training step and saves the iteration", () => {
  tidy(() => {
    manualSeed(1);
    const x = randn([4, 3], { dtype: "float64" });
    const y = randint(0, 3, [4]);
    using head = new SphereFaceHead(3, 3, { dtype: "float64" });
    for (let it = 0; it < 3; it++) {
      const want = sphereFaceLoss(x, head.weight, y, { lambda: sphereFaceLambda(it) }).loss.item();
      close(head.call(x, y).loss.item(), want, 1e-12, `iteration ${it}`);
    }
    assert.equal(head.iteration.item(), 3);
    head.eval();
    head.call(x, y);
    assert.equal(head.iteration.item(), 3, "eval does not advance the schedule");
    // A restored head continues the schedule where it stopped.
    using other = new SphereFaceHead(3, 3, { dtype: "float64" });
    other.loadStateDict(head.stateDict());
    close(other.lambda, 1000 / 1.36);
  });
});

test("Ring loss module: radius from the first batch's mean norm, learnable, or given", () => {
  const start = liveTensors();
  tidy(() => {
    const x = tensor(
      [
        [3, 4],
        [6, 8],
      ],
      { dtype: "float64" },
    );
    using ring = new RingLoss({ weight: 1 }, { dtype: "float64" });
    close(ring.call(x).item(), (2.5 ** 2 + 2.5 ** 2) / 4); // R = 7.5 from this batch
    close(ring.radius.item(), 7.5);
    using fixed = new RingLoss({ radius: 10, weight: 1 }, { dtype: "float64" });
    close(fixed.call(x).item(), (25 + 0) / 4);
    assert.throws(() => new RingLoss({ radius: -2 }), /radius must be > 0/);
    // The radius gets a gradient through the combined head.
    using head = new RingSoftmaxHead(2, 2, { dtype: "float64", ring: { radius: 1 } });
    const { loss } = head.call(x, tensor([0, 1], { dtype: "int64" }));
    loss.backward();
    assert.ok((head.ring.radius.grad?.abs().item() ?? 0) > 0);
  });
  assert.equal(liveTensors(), start);
});

test("every head learns a separable toy problem (loss falls, train accuracy 100%)", () => {
  tidy(() => {
    manualSeed(3);
    const centres = randn([4, 6]).mul(3);
    const y = randint(0, 4, [64]);
    const x = centres.indexSelect(0, y).add(randn([64, 6]).mul(0.3));
    for (const name of HEAD_NAMES) {
      const cfg: Record<HeadName, LossConfigInput> = {
        softmax: "softmax",
        ring: { name: "ring", radius: 5 },
        sphereface: { name: "sphereface", m: 2 },
        "sphereface-r": { name: "sphereface-r", scale: 8 },
        cosface: { name: "cosface", scale: 8 },
        arcface: { name: "arcface", scale: 8 },
      };
      using head = createHead(cfg[name], 6, 4);
      const first = tidy(() => head.call(x, y).loss.item());
      let last = first;
      for (let step = 0; step < 60; step++) {
        last = tidy(() => {
          head.zeroGrad();
          const { loss } = head.call(x, y);
          loss.backward();
          noGrad(() => {
            for (const p of head.parameters()) p.sub_((p.grad as Tensor).mul(0.5));
          });
          return loss.item();
        });
      }
      assert.ok(last < first, `${name}: loss ${first} → ${last}`);
      const acc = tidy(() => head.logits(x).argmax(1).eq(y).double().mean().item());
      assert.equal(acc, 1, `${name} accuracy`);
    }
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ntXent, ntXentWithLogits } from "../../src/losses/index.js";
import { grad, liveTensors, manualSeed, randn, type Tensor, tensor, tidy } from "../../src/torch/index.js";
import { gradcheck } from "./gradcheck.js";

const close = (a: number, b: number, tol = 1e-10, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const f64 = (d: number[][]) => tensor(d, { dtype: "float64" });

/** The definition as a loop: every anchor of both views, denominator over all k ≠ i. */
function ntXentLoop(a: number[][], b: number[][], tau: number): number {
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const z = [...a, ...b].map(unit);
  const n = a.length;
  const sim = (i: number, j: number) =>
    (z[i] as number[]).reduce((s, x, d) => s + x * ((z[j] as number[])[d] as number), 0) / tau;
  let total = 0;
  for (let i = 0; i < 2 * n; i++) {
    const pos = (i + n) % (2 * n);
    let denom = 0;
    for (let k = 0; k < 2 * n; k++) if (k !== i) denom += Math.exp(sim(i, k));
    total += -Math.log(Math.exp(sim(i, pos)) / denom);
  }
  return total / (2 * n);
}

test("NT-Xent on a 2-pair batch equals the hand computation", () => {
  const start = liveTensors();
  tidy(() => {
    // z1 = e1, e2; z2 = (1,1)/√2, (−1,1)/√2. Cosines: positives r=1/√2 each; per anchor (τ=1):
    //  a0: {a1:0, b0:r, b1:−r}; a1: {a0:0, b0:r, b1:r}; b0: {a0:r, a1:r, b1:0}; b1: {a0:−r, a1:r, b0:0}.
    const r = Math.SQRT1_2;
    const e = Math.exp;
    const want =
      (-Math.log(e(r) / (1 + e(r) + e(-r))) -
        Math.log(e(r) / (1 + 2 * e(r))) -
        Math.log(e(r) / (2 * e(r) + 1)) -
        Math.log(e(r) / (e(-r) + e(r) + 1))) /
      4;
    const z1 = f64([
      [1, 0],
      [0, 1],
    ]);
    const z2 = f64([
      [1, 1],
      [-1, 1],
    ]);
    close(ntXent(z1, z2, { temperature: 1 }).item(), want);
    const { logits, targets } = ntXentWithLogits(z1, z2, { temperature: 1 });
    assert.deepEqual(targets.toNumbers(), [2, 3, 0, 1]);
    assert.deepEqual(logits.shape, [4, 4]);
    assert.ok((logits.toNumbers()[0] as number) < -1e8, "self-similarity masked");
  });
  assert.equal(liveTensors(), start);
});

test("NT-Xent equals a direct loop over its definition on random data", () => {
  tidy(() => {
    manualSeed(11);
    for (const [n, d, tau] of [
      [5, 3, 0.5],
      [8, 4, 0.1],
      [2, 6, 2],
    ] as const) {
      const z1 = randn([n, d], { dtype: "float64" });
      const z2 = randn([n, d], { dtype: "float64" });
      const want = ntXentLoop(z1.toArray() as number[][], z2.toArray() as number[][], tau);
      close(ntXent(z1, z2, { temperature: tau }).item(), want, 1e-10, `n=${n} τ=${tau}`);
    }
  });
});

test("NT-Xent gradients match float64 finite differences", () => {
  tidy(() => {
    manualSeed(5);
    const z1 = randn([4, 3], { dtype: "float64" });
    const z2 = randn([4, 3], { dtype: "float64" });
    gradcheck((a: Tensor, b: Tensor) => ntXent(a, b, { temperature: 0.3 }), [z1, z2]);
  });
});

test("negatives from other workers: per-worker losses average to the global loss and gradient", () => {
  tidy(() => {
    manualSeed(9);
    const workers = 3;
    const n = 2;
    const Z1 = randn([workers * n, 4], { dtype: "float64" }).requiresGrad_(true);
    const Z2 = randn([workers * n, 4], { dtype: "float64" }).requiresGrad_(true);
    const whole = ntXent(Z1, Z2, { temperature: 0.2 });
    const [g1, g2] = grad([whole], [Z1, Z2]) as Tensor[];
    // Each worker's anchors are its own rows; negatives come from the gathered global batch. The
    // gathered tensors here carry gradients (like a gather that all-reduces them on backward).
    const parts = Array.from({ length: workers }, (_, w) =>
      ntXent(Z1.narrow(0, w * n, n), Z2.narrow(0, w * n, n), {
        temperature: 0.2,
        global: { z1: Z1, z2: Z2, offset: w * n },
      }),
    );
    const avg = parts.reduce((s, p) => s.add(p)).div(workers);
    close(avg.item(), whole.item(), 1e-12);
    const [h1, h2] = grad([avg], [Z1, Z2]) as Tensor[];
    close(
      h1
        ?.sub(g1 as Tensor)
        .abs()
        .max()
        .item() ?? 1,
      0,
      1e-12,
    );
    close(
      h2
        ?.sub(g2 as Tensor)
        .abs()
        .max()
        .item() ?? 1,
      0,
      1e-12,
    );
    // With a detached gather the local rows are spliced back in, so local gradients still flow.
    const local1 = Z1.narrow(0, n, n).detach().requiresGrad_(true);
    const local2 = Z2.narrow(0, n, n).detach().requiresGrad_(true);
    const loss = ntXent(local1, local2, { temperature: 0.2, global: { z1: Z1.detach(), z2: Z2.detach(), offset: n } });
    close(loss.item(), (parts[1] as Tensor).item(), 1e-12);
    const [l1] = grad([loss], [local1]) as Tensor[];
    assert.ok((l1?.abs().sum().item() ?? 0) > 0);
  });
});

test("loss sits at ln(2N−1) when all embeddings are equal (no information)", () => {
  tidy(() => {
    const z = f64([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    close(ntXent(z, z, { temperature: 0.5 }).item(), Math.log(5), 1e-12);
  });
});

test("validation", () => {
  tidy(() => {
    const z = f64([
      [1, 0],
      [0, 1],
    ]);
    assert.throws(() => ntXent(z, f64([[1, 0]])), /equal shapes/);
    assert.throws(() => ntXent(z, z, { temperature: 0 }), /temperature/);
    assert.throws(() => ntXent(z, z, { global: { z1: z, z2: z, offset: 1 } }), /offset/);
  });
});

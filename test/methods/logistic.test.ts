// L-BFGS multinomial logistic regression (src/methods/logistic.ts) against oracles that do not share its
// code: a 1-D separable toy whose optimum solves a scalar equation (bisection), and Newton's method in
// float64 JavaScript with the explicit Hessian, whose solution zeroes an independently written gradient.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/data/rng.js";
import { fitLogistic, logisticProbe, predictLogistic } from "../../src/methods/logistic.js";
import { fromTypedArray, liveTensors, tidy } from "../../src/torch/index.js";

/** Gradient of f(W,b) = mean CE + λ/2‖W‖² in plain float64 JavaScript (rows of x, θ = W (d×K) then b). */
function jsGradient(x: number[][], y: number[], K: number, l2: number, theta: number[]): number[] {
  const n = x.length;
  const d = x[0]!.length;
  const g = new Array<number>(d * K + K).fill(0);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: K }, (_, k) =>
      x[i]!.reduce((s, v, j) => s + v * theta[j * K + k]!, theta[d * K + k]!),
    );
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const sum = e.reduce((a, b) => a + b, 0);
    for (let k = 0; k < K; k++) {
      const r = (e[k]! / sum - (y[i] === k ? 1 : 0)) / n;
      for (let j = 0; j < d; j++) g[j * K + k]! += r * x[i]![j]!;
      g[d * K + k]! += r;
    }
  }
  for (let j = 0; j < d * K; j++) g[j]! += l2 * theta[j]!;
  return g;
}

/** Newton's method with the explicit Hessian (tiny ridge on b: its all-ones direction is flat). */
function newton(x: number[][], y: number[], K: number, l2: number): number[] {
  const n = x.length;
  const d = x[0]!.length;
  const P = d * K + K;
  let theta = new Array<number>(P).fill(0);
  for (let it = 0; it < 50; it++) {
    const g = jsGradient(x, y, K, l2, theta);
    const H = Array.from({ length: P }, (_, r) =>
      Array.from({ length: P }, (_, c) => (r === c ? (r < d * K ? l2 : 1e-10) : 0)),
    );
    for (let i = 0; i < n; i++) {
      const xt = [...x[i]!, 1]; // feature j (j = d: the bias) of class k sits at j·K + k (bias: d·K + k)
      const z = Array.from({ length: K }, (_, k) =>
        x[i]!.reduce((s, v, j) => s + v * theta[j * K + k]!, theta[d * K + k]!),
      );
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const sum = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / sum);
      for (let j1 = 0; j1 <= d; j1++)
        for (let k1 = 0; k1 < K; k1++)
          for (let j2 = 0; j2 <= d; j2++)
            for (let k2 = 0; k2 < K; k2++)
              H[j1 * K + k1]![j2 * K + k2]! += (((k1 === k2 ? p[k1]! : 0) - p[k1]! * p[k2]!) * xt[j1]! * xt[j2]!) / n;
    }
    // solve H·step = g (Gaussian elimination, partial pivoting)
    const A = H.map((row, r) => [...row, g[r]!]);
    for (let c = 0; c < P; c++) {
      let piv = c;
      for (let r = c + 1; r < P; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
      [A[c], A[piv]] = [A[piv]!, A[c]!];
      for (let r = c + 1; r < P; r++) {
        const f = A[r]![c]! / A[c]![c]!;
        for (let k = c; k <= P; k++) A[r]![k]! -= f * A[c]![k]!;
      }
    }
    const step = new Array<number>(P).fill(0);
    for (let r = P - 1; r >= 0; r--) {
      let s = A[r]![P]!;
      for (let k = r + 1; k < P; k++) s -= A[r]![k]! * step[k]!;
      step[r] = s / A[r]![r]!;
    }
    theta = theta.map((v, i) => v - step[i]!);
  }
  return theta;
}

const centred = (b: number[]) => b.map((v) => v - b.reduce((s, u) => s + u, 0) / b.length);

test("separable 1-D toy: W = ±a where λa = 1/(1 + e^{2a}) (the stationarity condition, solved by bisection)", () => {
  const start = liveTensors();
  tidy(() => {
    const l2 = 0.1;
    // f(a) = log(1 + e^{−2a}) + λa² for W = [−a, a]: f'(a) = 0 ⇔ λa = 1/(1 + e^{2a})
    let lo = 0;
    let hi = 10;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (l2 * mid < 1 / (1 + Math.exp(2 * mid))) lo = mid;
      else hi = mid;
    }
    const X = fromTypedArray(new Float64Array([-1, 1, -1, 1]), [4, 1]);
    const fit = fitLogistic(X, Int32Array.from([0, 1, 0, 1]), 2, { l2, gradTol: 1e-10 });
    assert.ok(fit.converged, `not converged: |g| ${fit.gradMax}`);
    assert.ok(Math.abs(fit.params[0]! + lo) < 1e-8 && Math.abs(fit.params[1]! - lo) < 1e-8, `${fit.params} vs ±${lo}`);
    assert.ok(Math.abs(fit.params[2]! - fit.params[3]!) < 1e-10, "equal biases by symmetry");
  });
  assert.equal(liveTensors(), start);
});

test("agrees with Newton's method in float64, and the gradient (written independently) is zero there", () => {
  tidy(() => {
    const r = new Rng(3);
    const n = 60;
    const d = 3;
    const K = 3;
    const x = Array.from({ length: n }, () => Array.from({ length: d }, () => r.normal()));
    const y = x.map((row) => (row[0]! + 0.5 * row[1]! + 0.8 * r.normal() > 0.4 ? 2 : row[2]! > 0 ? 1 : 0));
    const l2 = 0.05;
    const X = fromTypedArray(Float64Array.from(x.flat()), [n, d]);
    const fit = fitLogistic(X, Int32Array.from(y), K, { l2, gradTol: 1e-9 });
    const want = newton(x, y, K, l2);
    const got = Array.from(fit.params);
    for (let i = 0; i < d * K; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-6, `W[${i}]: ${got[i]} vs ${want[i]}`);
    const [gb, wb] = [centred(got.slice(d * K)), centred(want.slice(d * K))];
    for (let k = 0; k < K; k++) assert.ok(Math.abs(gb[k]! - wb[k]!) < 1e-6, `b[${k}]: ${gb[k]} vs ${wb[k]}`);
    const g = jsGradient(x, y, K, l2, got);
    assert.ok(Math.max(...g.map(Math.abs)) < 1e-8, `|∇f| = ${Math.max(...g.map(Math.abs))} at the L-BFGS solution`);
    assert.equal(predictLogistic(fit, X).length, n);
  });
});

test("logisticProbe: λ chosen by held-out accuracy (ties to the stronger), Gaussian blobs separated, bad input named", () => {
  const start = liveTensors();
  tidy(() => {
    const r = new Rng(9);
    const blobs = (n: number) => {
      const y = Int32Array.from({ length: n }, (_, i) => i % 3);
      const x = Float32Array.from({ length: n * 4 }, (_, k) => (k % 4 === y[Math.floor(k / 4)] ? 3 : 0) + r.normal());
      return { x: fromTypedArray(x, [n, 4]), y };
    };
    const res = logisticProbe(blobs(300), blobs(300), 3, { l2Grid: [1e-4, 1e-2, 1], seed: 1 });
    const best = Math.max(...res.heldOutAccuracy.map((h) => h.accuracy));
    assert.equal(res.l2, res.heldOutAccuracy.find((h) => h.accuracy === best)?.l2);
    assert.deepEqual(
      res.heldOutAccuracy.map((h) => h.l2),
      [1, 1e-2, 1e-4],
    );
    assert.ok(res.accuracy > 0.95, `accuracy ${res.accuracy}`);
    assert.equal(res.confusion.length, 3);
    const X = fromTypedArray(new Float32Array(6), [3, 2]);
    assert.throws(() => fitLogistic(X, Int32Array.from([0, 1]), 2, { l2: 0 }), /3 feature rows but 2 labels/);
    assert.throws(
      () => fitLogistic(X, Int32Array.from([0, 1, 5]), 2, { l2: 0 }),
      /label 5 at index 2 is outside \[0, 2\)/,
    );
    assert.throws(() => fitLogistic(X, Int32Array.from([0, 1, 1]), 2, { l2: -1 }), /l2 must be ≥ 0/);
  });
  assert.equal(liveTensors(), start);
});

// Shared fixtures for the optimizer tests: a 2×2 weight and a bias with three fixed gradients.
import assert from "node:assert/strict";
import { keep, type Tensor, tensor, tidy } from "../../../src/torch/index.js";

export const W0 = [
  [1.0, -2.0],
  [3.0, 0.5],
];
export const B0 = [0.25, -0.75];
export const GRADS: [number[][], number[]][] = [
  [
    [
      [0.1, -0.2],
      [0.3, 0.4],
    ],
    [0.5, -0.1],
  ],
  [
    [
      [-0.3, 0.2],
      [0.05, -0.1],
    ],
    [0.2, 0.3],
  ],
  [
    [
      [0.7, 0.1],
      [-0.2, 0.6],
    ],
    [-0.4, 0.05],
  ],
];

/** Fresh float64 leaf parameters w (2×2) and b (2), kept out of scopes. */
export function makeParams(): [Tensor, Tensor] {
  const w = keep(tensor(W0, { dtype: "float64", requiresGrad: true }));
  const b = keep(tensor(B0, { dtype: "float64", requiresGrad: true }));
  return [w, b];
}

/** Sets the gradients of step k (0-based) on w and b. */
export function setGrads(w: Tensor, b: Tensor, k: number): void {
  const [gw, gb] = GRADS[k] as [number[][], number[]];
  tidy(() => {
    w.grad = tensor(gw, { dtype: "float64" });
    b.grad = tensor(gb, { dtype: "float64" });
  });
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, what = "value"): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

export const values = (t: Tensor): number[] => t.toNumbers();

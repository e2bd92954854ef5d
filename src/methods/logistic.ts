// The full-label linear probe of the SimCLR papers (Chen et al. 2020 §B.6 / Kolesnikov et al. 2019):
// multinomial logistic regression on frozen, standardised features, fitted to convergence with L-BFGS,
// its L2 strength chosen on a held-out part of the training labels, then refitted on all of them.
// Objective (per image mean, bias not penalised):
//   f(W, b) = (1/n) Σ_i [logsumexp(x_i W + b) − (x_i W + b)_{y_i}] + (λ/2)·‖W‖²
//   ∇_W = Xᵀ(P − Y)/n + λW,  ∇_b = mean(P − Y),  P = softmax(XW + b), Y one-hot.
// Function values and gradients are LibTorch tensor ops over all images at once (in the features' dtype,
// the loss summed in float64); the L-BFGS state (Nocedal & Wright 2006, Algorithm 7.4 two-loop recursion,
// m = 10 pairs, Armijo backtracking) lives in float64 JavaScript arrays of d·K + K numbers.
import { deriveSeed } from "../data/rng.js";
import { stratifiedSplit } from "../data/splits.js";
import { balancedAccuracy, confusionMatrix, perClassRecall } from "../eval/classification.js";
import { fromTypedArray, type Tensor, tidy } from "../torch/index.js";

export interface LbfgsOptions {
  /** L2 strength λ on the weights (not the bias) */
  l2: number;
  maxIter?: number;
  /** stop when the largest gradient component is below this (default 1e-6 for float64 features, 1e-5 float32) */
  gradTol?: number;
  /** L-BFGS memory (pairs kept) */
  history?: number;
  /** start from these parameters (W row-major d×K, then b) instead of zero */
  init?: Float64Array;
}

export interface LogisticFit {
  /** W (d×K, row-major) then b (K): d·K + K values */
  params: Float64Array;
  d: number;
  K: number;
  loss: number;
  /** largest |∂f/∂θ| at the end */
  gradMax: number;
  iterations: number;
  converged: boolean;
}

/** θ's values as a tensor of X's dtype (float64, or float32 for speed on large feature sets). */
const asTensor = (v: Float64Array, shape: number[], X: Tensor) =>
  fromTypedArray(X.dtype === "float64" ? v : Float32Array.from(v), shape);

/**
 * f and ∇f at θ for features X (n×d) and one-hot labels Y (n×K) of X's dtype. The products run in X's
 * dtype (float32 halves the time of the n×d×K products on 60k images); the loss is summed in float64.
 */
function objective(X: Tensor, Y: Tensor, theta: Float64Array, d: number, K: number, l2: number) {
  return tidy(() => {
    const n = X.shape[0] as number;
    const W = asTensor(theta.subarray(0, d * K), [d, K], X);
    const b = asTensor(theta.subarray(d * K), [K], X);
    const Z = X.matmul(W).add(b);
    const lse = Z.logsumexp(1);
    let sq = 0;
    for (let i = 0; i < d * K; i++) sq += (theta[i] as number) ** 2;
    const loss = lse.sub(Z.mul(Y).sum(1)).double().mean().item() + 0.5 * l2 * sq;
    const R = Z.sub(lse.unsqueeze(1)).exp().sub(Y).div(n); // (P − Y)/n
    const gW = X.t().matmul(R).add(W.mul(l2));
    const grad = new Float64Array(d * K + K);
    grad.set(Float64Array.from(gW.contiguous().toTypedArray() as Float32Array | Float64Array), 0);
    grad.set(Float64Array.from(R.sum(0).toTypedArray() as Float32Array | Float64Array), d * K);
    return { loss, grad };
  });
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};
const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function checkData(X: Tensor, y: Int32Array, K: number, what: string): void {
  if (X.ndim !== 2) throw new RangeError(`${what}: features must be (n, d), got shape [${X.shape}]`);
  if (X.shape[0] !== y.length) throw new RangeError(`${what}: ${X.shape[0]} feature rows but ${y.length} labels`);
  if (!Number.isInteger(K) || K < 2) throw new RangeError(`${what}: numClasses must be an integer ≥ 2, got ${K}`);
  const bad = y.findIndex((v) => v < 0 || v >= K);
  if (bad >= 0) throw new RangeError(`${what}: label ${y[bad]} at index ${bad} is outside [0, ${K})`);
}

const oneHot = (y: Int32Array, K: number) => {
  const a = new Float64Array(y.length * K);
  y.forEach((c, i) => {
    a[i * K + c] = 1;
  });
  return fromTypedArray(a, [y.length, K]);
};

/** Fits multinomial logistic regression with L2 by L-BFGS on features X (n×d) and labels y in [0, K). */
export function fitLogistic(X: Tensor, y: Int32Array, K: number, o: LbfgsOptions): LogisticFit {
  checkData(X, y, K, "fitLogistic");
  if (!(o.l2 >= 0)) throw new RangeError(`fitLogistic: l2 must be ≥ 0, got ${o.l2}`);
  const d = X.shape[1] as number;
  const maxIter = o.maxIter ?? 100;
  const gradTol = o.gradTol ?? (X.dtype === "float64" ? 1e-6 : 1e-5);
  const m = o.history ?? 10;
  return tidy(() => {
    const Xw = X.dtype === "float64" ? X : X.float();
    const Y = oneHot(y, K).to(Xw.dtype);
    const f = (t: Float64Array) => objective(Xw, Y, t, d, K, o.l2);
    let theta = o.init ? Float64Array.from(o.init) : new Float64Array(d * K + K);
    if (theta.length !== d * K + K)
      throw new RangeError(`fitLogistic: init has ${theta.length} values, expected ${d * K + K}`);
    let { loss, grad } = f(theta);
    const S: Float64Array[] = [];
    const Yd: Float64Array[] = [];
    let it = 0;
    for (; it < maxIter && maxAbs(grad) > gradTol; it++) {
      // two-loop recursion: dir = −H·grad
      const q = Float64Array.from(grad);
      const alpha: number[] = [];
      for (let k = S.length - 1; k >= 0; k--) {
        const a = dot(S[k]!, q) / dot(Yd[k]!, S[k]!);
        alpha[k] = a;
        for (let i = 0; i < q.length; i++) q[i] = (q[i] as number) - a * (Yd[k]![i] as number);
      }
      const last = S.length - 1;
      const gamma = last >= 0 ? dot(S[last]!, Yd[last]!) / dot(Yd[last]!, Yd[last]!) : 1 / Math.max(1, maxAbs(grad));
      for (let i = 0; i < q.length; i++) q[i] = (q[i] as number) * gamma;
      for (let k = 0; k < S.length; k++) {
        const beta = dot(Yd[k]!, q) / dot(Yd[k]!, S[k]!);
        for (let i = 0; i < q.length; i++)
          q[i] = (q[i] as number) + (S[k]![i] as number) * ((alpha[k] as number) - beta);
      }
      const dir = q.map((v) => -v);
      let slope = dot(grad, dir);
      if (!(slope < 0)) {
        // not a descent direction (numerical trouble): restart from steepest descent
        S.length = 0;
        Yd.length = 0;
        for (let i = 0; i < dir.length; i++) dir[i] = -(grad[i] as number);
        slope = -dot(grad, grad);
      }
      // Armijo backtracking from the unit step
      let step = 1;
      let next = f(theta.map((v, i) => v + step * (dir[i] as number)));
      while (next.loss > loss + 1e-4 * step * slope && step > 1e-12) {
        step /= 2;
        next = f(theta.map((v, i) => v + step * (dir[i] as number)));
      }
      if (step <= 1e-12) break; // no decrease possible at float64 precision
      const s = dir.map((v) => v * step);
      const yk = next.grad.map((v, i) => v - (grad[i] as number));
      if (dot(s, yk) > 1e-12 * dot(yk, yk)) {
        S.push(s);
        Yd.push(yk);
        if (S.length > m) {
          S.shift();
          Yd.shift();
        }
      }
      theta = theta.map((v, i) => v + (s[i] as number));
      const change = loss - next.loss;
      ({ loss, grad } = next);
      if (change <= 1e-14 * Math.max(1, Math.abs(loss))) break;
    }
    const gradMax = maxAbs(grad);
    return { params: theta, d, K, loss, gradMax, iterations: it, converged: gradMax <= gradTol };
  });
}

/** Class scores X·W + b (n×K, float64) of a fit. */
export function logisticScores(fit: LogisticFit, X: Tensor): Tensor {
  return tidy(() =>
    X.double()
      .matmul(fromTypedArray(fit.params.subarray(0, fit.d * fit.K), [fit.d, fit.K]))
      .add(fromTypedArray(fit.params.subarray(fit.d * fit.K), [fit.K])),
  );
}

export const predictLogistic = (fit: LogisticFit, X: Tensor): Int32Array =>
  tidy(() => Int32Array.from(logisticScores(fit, X).argmax(1).toNumbers()));

export interface LogisticProbeOptions {
  /** λ candidates; default 10^-1 … 10^-8 in decades (10^-6, the old edge, won on Fashion-MNIST features) */
  l2Grid?: number[];
  /** fraction of the training labels held out to choose λ (stratified) */
  heldOut?: number;
  seed?: number;
  maxIter?: number;
}

export interface LogisticProbeResult {
  accuracy: number;
  balancedAccuracy: number;
  perClassRecall: number[];
  confusion: number[][];
  /** the chosen λ and the held-out accuracy of every candidate */
  l2: number;
  heldOutAccuracy: { l2: number; accuracy: number }[];
  fit: LogisticFit;
}

export const DEFAULT_L2_GRID = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8];

/**
 * Standardises the features with the training mean/std, picks λ by accuracy on a stratified held-out
 * part of the training set (λ path from strong to weak, each fit warm-started from the previous; ties
 * go to the stronger λ), refits on all training labels and scores the test features.
 */
export function logisticProbe(
  train: { x: Tensor; y: Int32Array },
  test: { x: Tensor; y: Int32Array },
  K: number,
  o: LogisticProbeOptions = {},
): LogisticProbeResult {
  checkData(train.x, train.y, K, "logisticProbe (train)");
  checkData(test.x, test.y, K, "logisticProbe (test)");
  const grid = [...(o.l2Grid ?? DEFAULT_L2_GRID)].sort((a, b) => b - a);
  if (grid.length === 0) throw new RangeError("logisticProbe: l2Grid is empty");
  const heldOut = o.heldOut ?? 0.1;
  if (!(heldOut > 0 && heldOut < 1)) throw new RangeError(`logisticProbe: heldOut must be in (0, 1), got ${heldOut}`);
  return tidy(() => {
    const mean = train.x.mean([0], true);
    const std = train.x.std([0], { keepdim: true }).add(1e-6);
    const Xtr = train.x.sub(mean).div(std);
    const Xte = test.x.sub(mean).div(std);
    const [fitIdx, valIdx] = stratifiedSplit(
      train.y,
      { fit: 1 - heldOut, val: heldOut },
      deriveSeed(o.seed ?? 0, 0x10915),
    ).indices as [Int32Array, Int32Array];
    const rows = (idx: Int32Array) => fromTypedArray(idx, [idx.length]).long();
    const Xfit = Xtr.indexSelect(0, rows(fitIdx));
    const Xval = Xtr.indexSelect(0, rows(valIdx));
    const yFit = Int32Array.from(fitIdx, (i) => train.y[i] as number);
    const yVal = Int32Array.from(valIdx, (i) => train.y[i] as number);
    const heldOutAccuracy: { l2: number; accuracy: number }[] = [];
    let init: Float64Array | undefined;
    let best = { l2: grid[0] as number, accuracy: -1, params: undefined as Float64Array | undefined };
    for (const l2 of grid) {
      const fit = fitLogistic(Xfit, yFit, K, { l2, init, maxIter: o.maxIter });
      init = fit.params;
      const pred = predictLogistic(fit, Xval);
      const acc = pred.reduce((s, p, i) => s + (p === yVal[i] ? 1 : 0), 0) / yVal.length;
      heldOutAccuracy.push({ l2, accuracy: acc });
      if (acc > best.accuracy) best = { l2, accuracy: acc, params: fit.params };
    }
    const fit = fitLogistic(Xtr, train.y, K, { l2: best.l2, init: best.params, maxIter: o.maxIter });
    const pred = predictLogistic(fit, Xte);
    const cm = confusionMatrix(test.y, pred, K);
    return {
      accuracy: pred.reduce((s, p, i) => s + (p === test.y[i] ? 1 : 0), 0) / test.y.length,
      balancedAccuracy: balancedAccuracy(test.y, pred, K),
      perClassRecall: perClassRecall(cm),
      confusion: cm,
      l2: best.l2,
      heldOutAccuracy,
      fit,
    };
  });
}

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  aggregateSeeds,
  logGamma,
  mean,
  normalQuantile,
  olsSlope,
  quantile,
  std,
  studentTCdf,
  studentTQuantile,
  tInterval,
} from "../../src/eval/index.js";

const close = (a: number, b: number, tol: number, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

test("moments and type-7 quantiles (numpy.quantile values)", () => {
  const x = [3, 1, 4, 1, 5, 9, 2, 6];
  close(mean(x), 31 / 8, 1e-15);
  close(std([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), 1e-15);
  // numpy.quantile([3,1,4,1,5,9,2,6], [0, .25, .5, .9, 1]) = 1, 1.75, 3.5, 6.9, 9
  for (const [q, v] of [
    [0, 1],
    [0.25, 1.75],
    [0.5, 3.5],
    [0.9, 6.9],
    [1, 9],
  ] as const)
    close(quantile(x, q), v, 1e-12, `q=${q}`);
  assert.ok(Number.isNaN(std([1])));
});

test("log Γ, Student-t CDF and quantiles against table values", () => {
  close(logGamma(5), Math.log(24), 1e-13);
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
  close(studentTCdf(0, 3), 0.5, 1e-15);
  // Cauchy (df = 1): F(1) = 3/4.
  close(studentTCdf(1, 1), 0.75, 1e-12);
  // Two-sided 95% critical values: df 1 → 12.7062, 2 → 4.3027, 4 → 2.7764, 30 → 2.0423, 1e6 → 1.95997.
  for (const [df, t] of [
    [1, 12.706204736],
    [2, 4.30265273],
    [4, 2.776445105],
    [30, 2.042272456],
    [1e6, 1.959966],
  ] as const)
    close(studentTQuantile(0.975, df), t, 1e-6, `df=${df}`);
  close(studentTQuantile(0.025, 4), -2.776445105, 1e-6);
  close(studentTQuantile(0.995, 10), 3.169272673, 1e-6);
});

test("normal quantile (probit)", () => {
  close(normalQuantile(0.5), 0, 1e-9);
  close(normalQuantile(0.975), 1.959963985, 1e-8);
  close(normalQuantile(0.01), -2.326347874, 1e-8);
  close(normalQuantile(1e-6), -4.753424309, 1e-7);
  assert.equal(normalQuantile(0), Number.NEGATIVE_INFINITY);
});

test("t-interval across seeds", () => {
  const r = tInterval([0.8, 0.82, 0.78]);
  close(r.mean, 0.8, 1e-12);
  close(r.std, 0.02, 1e-12);
  close(r.hi - r.mean, (4.30265273 * 0.02) / Math.sqrt(3), 1e-8);
  assert.ok(Number.isNaN(tInterval([0.5]).lo));
});

test("aggregateSeeds: a t-interval per metric over seeds", () => {
  const r = aggregateSeeds([{ acc: 0.8, ece: 0.1 }, { acc: 0.82 }, { acc: 0.78, ece: 0.2 }]);
  close(r.acc?.mean as number, 0.8, 1e-12);
  assert.equal(r.acc?.n, 3);
  assert.equal(r.ece?.n, 2);
  close(r.ece?.hi as number, 0.15 + (12.706204736 * Math.SQRT1_2 * 0.1) / Math.SQRT2, 1e-6);
});

test("olsSlope: the slope of an exact line, the least-squares slope by hand, NaN without spread in x", () => {
  close(olsSlope([10, 30, 50, 70], [1, 7, 13, 19]), 0.3, 1e-15);
  // x = 0,1,2; y = 0,2,1: x̄ = 1, ȳ = 1, Σdx·dy = (−1)(−1) + 0 + (1)(0) = 1, Σdx² = 2 → ½.
  close(olsSlope([0, 1, 2], [0, 2, 1]), 0.5, 1e-15);
  assert.ok(Number.isNaN(olsSlope([3, 3, 3], [1, 2, 3])));
  assert.throws(() => olsSlope([1, 2], [1]), /olsSlope: x has 2 values but y has 1/);
});

// The per-group bootstrap (src/eval/group-bootstrap.ts) the bias study's cells use: hand-derived
// replicate values, the exact draw order from the seeded stream (so a study's intervals reproduce
// from its seed), the sampling distribution of a two-unit group, and CI coverage.
import assert from "node:assert/strict";
import { test } from "node:test";
import { uniformStream } from "../../src/data/rng.js";
import { bootstrapGroups, combine, meanSample, percentileCI } from "../../src/eval/index.js";

test("meanSample: the mean of the indexed values, repeats counted; NaN for no index", () => {
  const s = meanSample([1, 2, 4, 8]);
  assert.equal(s.n, 4);
  assert.equal(s.stat(Int32Array.from([0, 3])), 4.5);
  assert.equal(s.stat(Int32Array.from([1, 1, 2])), 8 / 3);
  assert.ok(Number.isNaN(s.stat(new Int32Array(0))));
});

test("replicates draw unit indices floor(u·n) from the seed's stream, group after group, replicate after replicate", () => {
  const a = [10, 20, 30];
  const b = [1, 2];
  const reps = bootstrapGroups(
    new Map([
      ["a", meanSample(a)],
      ["b", meanSample(b)],
    ]),
    2,
    42,
  );
  const u = uniformStream(42);
  const draw = (v: number[]) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[Math.floor(u() * v.length)] as number;
    return s / v.length;
  };
  const expectA = [draw(a), draw(a)];
  const expectB = [draw(b), draw(b)];
  assert.deepEqual(Array.from(reps.get("a") as Float64Array), expectA);
  assert.deepEqual(Array.from(reps.get("b") as Float64Array), expectB);
  // Same seed, same replicates; every replicate mean is one of the values a resample can take.
  assert.deepEqual(bootstrapGroups(new Map([["a", meanSample(a)]]), 2, 42).get("a"), reps.get("a"));
  for (const x of expectB) assert.ok([1, 1.5, 2].includes(x));
});

test("a two-unit group's replicate means are 0, ½, 1 with probabilities ¼, ½, ¼ (±0.04, 5 s.e. at B = 4000)", () => {
  const B = 4000;
  const reps = bootstrapGroups(new Map([["g", meanSample([0, 1])]]), B, 5).get("g") as Float64Array;
  const share = (v: number) => reps.filter((x) => x === v).length / B;
  assert.equal(share(0) + share(0.5) + share(1), 1);
  assert.ok(Math.abs(share(0) - 0.25) < 0.04, `P(0) ${share(0)}`);
  assert.ok(Math.abs(share(0.5) - 0.5) < 0.04, `P(½) ${share(0.5)}`);
  assert.ok(Math.abs(share(1) - 0.25) < 0.04, `P(1) ${share(1)}`);
});

test("an empty group gives NaN replicates, a constant group its constant; bad B is an error naming it", () => {
  const reps = bootstrapGroups(
    new Map([
      ["none", meanSample([])],
      ["same", meanSample([0.7, 0.7, 0.7])],
    ]),
    5,
    1,
  );
  assert.ok((reps.get("none") as Float64Array).every(Number.isNaN));
  assert.ok((reps.get("same") as Float64Array).every((x) => Math.abs(x - 0.7) < 1e-15));
  assert.throws(() => bootstrapGroups(new Map(), 2.5, 1), /bootstrapGroups: B must be a non-negative integer, got 2.5/);
});

test("percentile CI of a mean's replicates covers the true value about 95% of the time (200 sims: 0.88–0.99)", () => {
  const r = uniformStream(7);
  let covered = 0;
  const sims = 200;
  for (let s = 0; s < sims; s++) {
    const x = Array.from({ length: 80 }, () => +(r() < 0.3));
    const reps = bootstrapGroups(new Map([["g", meanSample(x)]]), 300, s).get("g") as Float64Array;
    const [lo, hi] = percentileCI(reps, 0.95);
    if (lo <= 0.3 && 0.3 <= hi) covered++;
  }
  assert.ok(covered / sims > 0.88 && covered / sims < 0.99, `coverage ${covered / sims}`);
});

test("combine applies f replicate by replicate; arrays of different lengths are an error", () => {
  const gap = combine(
    [Float64Array.from([1, 2, 3]), Float64Array.from([0.5, 0.5, 4])],
    ([a, b]) => (a as number) - (b as number),
  );
  assert.deepEqual(Array.from(gap), [0.5, 1.5, -1]);
  assert.equal(combine([], () => 0).length, 0);
  assert.throws(
    () => combine([new Float64Array(3), new Float64Array(2)], () => 0),
    /combine: replicate array 1 has 2 entries, array 0 has 3/,
  );
});

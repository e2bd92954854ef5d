// Cluster (identity) bootstrap: resamples are unions of whole clusters, pairs enter with the product
// of their two clusters' counts, and the intervals have the width and coverage that correlated
// samples call for, where resampling samples one by one is too narrow.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/data/rng.js";
import { bootstrapCI, bootstrapReplicates, excludesZero, mean, percentileCI } from "../../src/eval/index.js";

const counts = (idx: Int32Array, n: number) => {
  const c = new Int32Array(n);
  for (const i of idx) (c[i] as number)++;
  return c;
};

test("a cluster resample is whole clusters, drawn within strata", () => {
  // Clusters p0..p5 of sizes 1..3; p0–p2 in stratum a, p3–p5 in stratum b.
  const cluster = ["p0", "p1", "p1", "p2", "p2", "p2", "p3", "p4", "p4", "p5", "p5", "p5"];
  const strata = cluster.map((c) => (Number(c.slice(1)) < 3 ? "a" : "b"));
  const size = (c: string) => cluster.filter((x) => x === c).length;
  let reps = 0;
  bootstrapReplicates(
    cluster.length,
    (idx, runs) => {
      assert.equal(runs.length, 2);
      assert.equal((runs[0] as number) + (runs[1] as number), idx.length);
      assert.ok(
        Array.from(idx.subarray(0, runs[0])).every((i) => strata[i] === "a"),
        "stratum a's run first",
      );
      const c = counts(idx, cluster.length);
      const drawn = new Map<string, number>();
      cluster.forEach((name, i) => {
        const seen = drawn.get(name);
        assert.ok(seen === undefined || seen === c[i], `all of ${name}'s samples enter equally often`);
        drawn.set(name, c[i] as number);
      });
      // Each stratum draws as many clusters as it has.
      for (const s of ["a", "b"]) {
        const total = [...drawn].filter(([n]) => strata[cluster.indexOf(n)] === s).reduce((t, [, k]) => t + k, 0);
        assert.equal(total, 3);
      }
      const weighted = [...drawn].reduce((t, [n, k]) => t + k * size(n), 0);
      assert.equal(weighted, idx.length);
      reps++;
      return [0];
    },
    { nBoot: 50, seed: 3, strata, clusters: cluster },
  );
  assert.equal(reps, 51, "the point estimate and 50 replicates");
});

test("a pair of two clusters enters as often as the product of their counts", () => {
  // Samples are pairs: (a,a), (b,b), (c,c) genuine, then the impostors (a,b), (a,c), (b,c).
  const first = ["a", "b", "c", "a", "a", "b"];
  const second = ["a", "b", "c", "b", "c", "c"];
  bootstrapReplicates(
    6,
    (idx) => {
      const c = counts(idx, 6);
      const [a, b, cc] = [c[0], c[1], c[2]] as [number, number, number];
      assert.equal(a + b + cc, 3, "three clusters drawn");
      assert.deepEqual(Array.from(c.subarray(3)), [a * b, a * cc, b * cc]);
      return [0];
    },
    { nBoot: 100, seed: 1, clusters: [first, second] },
  );
});

test("perfectly correlated clusters: the cluster CI is √m wider than the unit CI, and textbook", () => {
  // 60 people with 8 samples each; a person's samples are identical, so there are 60 values, not 480.
  const rng = new Rng(11);
  const K = 60;
  const m = 8;
  const perPerson = Array.from({ length: K }, () => rng.normal());
  const x = perPerson.flatMap((v) => new Array<number>(m).fill(v));
  const who = perPerson.flatMap((_, p) => new Array<number>(m).fill(p));
  const stat = (idx: Int32Array) => mean(Array.from(idx, (i) => x[i] as number));
  const byPerson = bootstrapCI(x.length, stat, { nBoot: 2000, seed: 2, clusters: who });
  const bySample = bootstrapCI(x.length, stat, { nBoot: 2000, seed: 2, clusters: who, resample: "unit" });
  const mu = mean(perPerson);
  const sd = Math.sqrt(perPerson.reduce((s, v) => s + (v - mu) ** 2, 0) / K);
  const textbook = (2 * 1.96 * sd) / Math.sqrt(K);
  const wide = byPerson.hi - byPerson.lo;
  const narrow = bySample.hi - bySample.lo;
  assert.ok(Math.abs(wide / textbook - 1) < 0.1, `cluster width ${wide} vs 2·1.96·σ/√K = ${textbook}`);
  assert.ok(Math.abs(narrow / (textbook / Math.sqrt(m)) - 1) < 0.1, `unit width ${narrow}`);
  assert.ok(wide / narrow > 2.4 && wide / narrow < 3.3, `ratio ${wide / narrow}, √m = ${Math.sqrt(m)}`);
});

test("with identities the CI of a mean keeps its 95% coverage under a person effect; by sample it does not", () => {
  // y = u_person + e, u ~ N(0, 1), e ~ N(0, 0.5²), 30 people × 6 samples; the true mean is 0.
  const rng = new Rng(7);
  const K = 30;
  const m = 6;
  const who = Array.from({ length: K * m }, (_, i) => Math.floor(i / m));
  const datasets = 200;
  const hits = { cluster: 0, unit: 0 };
  for (let d = 0; d < datasets; d++) {
    const u = Array.from({ length: K }, () => rng.normal());
    const y = who.map((p) => (u[p] as number) + 0.5 * rng.normal());
    const stat = (idx: Int32Array) => mean(Array.from(idx, (i) => y[i] as number));
    for (const resample of ["cluster", "unit"] as const) {
      const ci = bootstrapCI(y.length, stat, { nBoot: 200, seed: d, clusters: who, resample });
      if (ci.lo <= 0 && 0 <= ci.hi) hits[resample]++;
    }
  }
  // Expected: ~0.93 by person (percentile bootstrap with 30 clusters); by sample the interval is
  // √((1 + 0.25)/(6·(1 + 0.25/6))) ≈ 0.45 of the right width, so P(|Z| < 1.96·0.45) ≈ 0.62.
  const cover = { cluster: hits.cluster / datasets, unit: hits.unit / datasets };
  assert.ok(cover.cluster >= 0.89 && cover.cluster <= 0.99, `coverage by person ${cover.cluster}`);
  assert.ok(cover.unit <= 0.75, `coverage by sample ${cover.unit}`);
});

test("cluster options are checked", () => {
  const stat = () => [0];
  assert.throws(
    () => bootstrapReplicates(3, stat, { clusters: ["a", "a", "b"], strata: ["x", "y", "y"] }),
    /cluster "a" has samples in two strata/,
  );
  assert.throws(() => bootstrapReplicates(3, stat, { resample: "cluster" }), /resample "cluster" needs clusters/);
  assert.throws(() => bootstrapReplicates(3, stat, { clusters: ["a", "b"] }), /clusters has 2 entries for 3 samples/);
  assert.throws(
    () => bootstrapReplicates(2, stat, { clusters: [["a", "b"], ["a"]] }),
    /clusters\[1\] has 1 entries for 2 samples/,
  );
  assert.throws(
    () => bootstrapReplicates(2, stat, { resample: "pairs" as never, clusters: ["a", "b"] }),
    /resample must be "cluster" or "unit", got pairs/,
  );
});

test("percentileCI: type-7 quantiles of the finite replicates (hand values), NaN without any", () => {
  // Sorted 1..5: the 25% point sits at position 1 (value 2), the 75% point at position 3 (value 4).
  assert.deepEqual(percentileCI([5, 1, 4, 2, 3], 0.5), [2, 4]);
  // 90%: positions 0.2 and 3.8 → 1.2 and 4.8; NaN and ±∞ (undefined or unbounded replicates) are dropped.
  const [lo, hi] = percentileCI([3, Number.NaN, 1, 5, Number.POSITIVE_INFINITY, 2, 4, Number.NEGATIVE_INFINITY], 0.9);
  assert.ok(Math.abs(lo - 1.2) < 1e-12 && Math.abs(hi - 4.8) < 1e-12, `${lo} ${hi}`);
  assert.ok(percentileCI([Number.NaN, Number.POSITIVE_INFINITY]).every(Number.isNaN));
  assert.throws(() => percentileCI([1, 2], 1), /percentileCI: level must be in \(0, 1\), got 1/);
});

test("excludesZero: only a finite interval wholly on one side of zero", () => {
  assert.equal(excludesZero([0.1, 0.3]), true);
  assert.equal(excludesZero([-0.3, -0.1]), true);
  assert.equal(excludesZero([-0.1, 0.1]), false);
  assert.equal(excludesZero([0, 0.2]), false);
  assert.equal(excludesZero([0.1, Number.NaN]), false);
});

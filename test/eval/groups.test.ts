import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/data/rng.js";
import { accuracy, bootstrapCI, mean, metricFrame, metricFrameRows } from "../../src/eval/index.js";

const close = (a: number, b: number, tol = 1e-12, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

test("metric frame by hand: per group, worst group, gap and ratio", () => {
  const f = metricFrame({
    metrics: { accuracy, meanPred: { fn: (_t, p) => mean(p), higherIsBetter: false } },
    yTrue: [1, 1, 0, 1, 1, 0],
    yPred: [1, 1, 0, 1, 0, 1],
    groups: ["a", "a", "b", "a", "a", "b"],
    nBoot: 200,
    seed: 1,
  });
  assert.deepEqual(f.groups, ["a", "b"]);
  assert.deepEqual(f.counts, { a: 4, b: 2 });
  close(f.overall.accuracy?.value as number, 4 / 6);
  close(f.byGroup.a?.accuracy?.value as number, 0.75);
  close(f.byGroup.b?.accuracy?.value as number, 0.5);
  close(f.difference.accuracy?.value as number, 0.25);
  close(f.ratio.accuracy?.value as number, 0.5 / 0.75);
  close(f.groupMin.accuracy?.value as number, 0.5);
  assert.equal(f.worstGroup.accuracy, "b");
  // For a lower-is-better metric the worst group is the maximum: mean prediction a 0.75, b 0.5.
  assert.equal(f.worstGroup.meanPred, "a");
  close(f.worst.meanPred?.value as number, 0.75);
  // Intervals bracket the point values and both groups are flagged as too small.
  const a = f.byGroup.a?.accuracy;
  assert.ok(a && a.lo <= a.value && a.value <= a.hi);
  assert.equal(f.warnings.length, 2);
  // Rows for results.csv: per metric 1 overall + 2 groups + 5 summaries.
  const rows = metricFrameRows(f);
  assert.equal(rows.length, 2 * 8);
  assert.deepEqual(
    rows.filter((r) => r.metric === "accuracy" && r.kind === "worst").map((r) => [r.group, r.value]),
    [["b", 0.5]],
  );
});

test("the same seed gives the same intervals; another seed differs", () => {
  const data = {
    yTrue: [1, 0, 1, 1, 0, 1, 0, 0, 1, 1],
    yPred: [1, 0, 0, 1, 0, 1, 1, 0, 1, 0],
    groups: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
  };
  const run = (seed: number) => metricFrame({ metrics: { accuracy }, ...data, nBoot: 100, seed }).difference.accuracy;
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
  // nBoot 0: point estimates only.
  const p = metricFrame({ metrics: { accuracy }, ...data, nBoot: 0 });
  assert.ok(Number.isNaN(p.overall.accuracy?.lo as number));
});

test("stratified bootstrap CIs cover the true values in ≥ 90% of simulated studies", () => {
  // Two groups of fixed size with true accuracies 0.8 (n=150) and 0.6 (n=50): the population
  // accuracy is 0.75 and the gap 0.2. 200 simulated test sets, 200 resamples each, 95% intervals.
  const rng = new Rng(2024);
  const hits = { overall: 0, b: 0, gap: 0 };
  const reps = 200;
  for (let r = 0; r < reps; r++) {
    const yTrue: number[] = [];
    const yPred: number[] = [];
    const groups: string[] = [];
    for (const [g, n, p] of [
      ["a", 150, 0.8],
      ["b", 50, 0.6],
    ] as const) {
      for (let i = 0; i < n; i++) {
        yTrue.push(1);
        yPred.push(rng.bernoulli(p) ? 1 : 0);
        groups.push(g);
      }
    }
    const f = metricFrame({ metrics: { accuracy }, yTrue, yPred, groups, nBoot: 200, seed: r });
    const inside = (e: { lo: number; hi: number } | undefined, v: number) => (e && e.lo <= v && v <= e.hi ? 1 : 0);
    hits.overall += inside(f.overall.accuracy, 0.75);
    hits.b += inside(f.byGroup.b?.accuracy, 0.6);
    hits.gap += inside(f.difference.accuracy, 0.2);
  }
  for (const [k, h] of Object.entries(hits)) assert.ok(h / reps >= 0.9, `${k} coverage ${h / reps}`);
});

test("bootstrapCI of a mean has the textbook width ≈ 2·1.96·σ/√n", () => {
  const rng = new Rng(5);
  const x = Array.from({ length: 400 }, () => rng.normal());
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean(x)) ** 2, 0) / x.length);
  const ci = bootstrapCI(x.length, (idx) => mean(Array.from(idx, (i) => x[i] as number)), { nBoot: 2000, seed: 1 });
  close(ci.value, mean(x));
  close(ci.hi - ci.lo, (2 * 1.96 * sd) / Math.sqrt(400), 0.02, "width");
});

test("with identities the frame resamples people: wider intervals when a person's samples agree", () => {
  // 40 people × 5 samples per group; a person is right or wrong on all 5 samples.
  const rng = new Rng(9);
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const groups: string[] = [];
  const identities: string[] = [];
  for (const [g, p] of [
    ["a", 0.8],
    ["b", 0.6],
  ] as const)
    for (let person = 0; person < 40; person++) {
      const right = rng.bernoulli(p);
      for (let k = 0; k < 5; k++) {
        yTrue.push(1);
        yPred.push(right ? 1 : 0);
        groups.push(g);
        identities.push(`${g}${person}`);
      }
    }
  const common = { metrics: { accuracy }, yTrue, yPred, groups, nBoot: 1000, seed: 4 };
  const byPerson = metricFrame({ ...common, identities });
  const bySample = metricFrame({ ...common, identities, resample: "unit" });
  const plain = metricFrame(common);
  assert.deepEqual(bySample.byGroup, plain.byGroup, 'resample "unit" is the sample bootstrap');
  const width = (e: { lo: number; hi: number } | undefined) => (e ? e.hi - e.lo : Number.NaN);
  for (const g of ["a", "b"]) {
    const wide = width(byPerson.byGroup[g]?.accuracy);
    const narrow = width(bySample.byGroup[g]?.accuracy);
    // Textbook: 2·1.96·√(p(1−p)/people) by person; √5 narrower by sample.
    const p = byPerson.byGroup[g]?.accuracy?.value as number;
    close(wide, 2 * 1.96 * Math.sqrt((p * (1 - p)) / 40), 0.04, `group ${g} width by person`);
    assert.ok(wide / narrow > 1.8 && wide / narrow < 2.8, `group ${g}: ${wide} vs ${narrow}, √5 ≈ 2.24`);
  }
  assert.equal(byPerson.overall.accuracy?.value, plain.overall.accuracy?.value);
  assert.throws(
    () => metricFrame({ ...common, identities: identities.slice(1) }),
    /yTrue has 400 entries but identities has 399/,
  );
});

// Split invariants: every class in every split, fractions held, no item in two splits, seeded;
// balanced sampling.
import assert from "node:assert/strict";
import { test } from "node:test";
import { allocate, balancedSample, formatSplitCounts, stratifiedSplit } from "../../src/data/splits.js";

// UTKFace-like skew: race counts proportional to the real set (10,078 / 4,528 / 3,434 / 3,976 / 1,692, §4.2) / 20.
const RACE_COUNTS = [504, 226, 172, 199, 85];
const labels = RACE_COUNTS.flatMap((n, c) => new Array(n).fill(c));

test("stratified 30/70: every class in both splits, fractions per class, no overlap, reproducible", () => {
  const s = stratifiedSplit(labels, { finetune: 0.3, validate: 0.7 }, 42);
  const [a, b] = s.indices as [Int32Array, Int32Array];
  // 0.3 × (504, 226, 172, 199, 85) = 151.2, 67.8, 51.6, 59.7, 25.5 → rounded (a .5 tie goes to the first split)
  assert.deepEqual(s.counts[0], [151, 68, 52, 60, 26]);
  assert.equal(a.length + b.length, labels.length);
  assert.equal(new Set([...a, ...b]).size, labels.length);
  RACE_COUNTS.forEach((n, c) => {
    assert.equal((s.counts[0]?.[c] as number) + (s.counts[1]?.[c] as number), n);
    assert.ok((s.counts[1]?.[c] as number) > 0);
    assert.equal([...a].filter((i) => labels[i] === c).length, s.counts[0]?.[c]);
  });
  assert.deepEqual(stratifiedSplit(labels, { finetune: 0.3, validate: 0.7 }, 42).indices, s.indices);
  assert.notDeepEqual(stratifiedSplit(labels, { finetune: 0.3, validate: 0.7 }, 43).indices[0], a);
  assert.match(formatSplitCounts(s, ["White", "Black", "Asian", "Indian", "Others"]), /^Asian\t52\t120$/m);
});

test("a rare class still reaches every split; too-rare classes are an error naming the class", () => {
  const lab = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
  const s = stratifiedSplit(lab, { a: 0.9, b: 0.05, c: 0.05 }, 1);
  for (const idx of s.indices) assert.ok([...idx].some((i) => lab[i] === 1));
  assert.throws(
    () => stratifiedSplit([0, 0, 0, 1], { a: 0.5, b: 0.5 }, 1, { classNames: ["White", "Asian"] }),
    /class 'Asian' has 1 item\(s\), too few to appear in all 2 splits/,
  );
  assert.throws(() => stratifiedSplit(lab, { a: 0.5, b: 0.6 }, 1), /sum to 1/);
});

test("largest-remainder allocation sums exactly", () => {
  assert.deepEqual(allocate(10, [1, 1, 1]), [4, 3, 3]);
  assert.deepEqual(allocate(25, [1, 1, 1, 1, 1]), [5, 5, 5, 5, 5]);
  assert.deepEqual(allocate(7, [0.3, 0.7]), [2, 5]);
});

test("class-balanced sampling draws each class about equally", () => {
  const idx = balancedSample(labels, 20000, 7);
  const counts = new Array(5).fill(0);
  for (const i of idx) counts[labels[i] as number]++;
  for (const c of counts) assert.ok(Math.abs(c / 20000 - 0.2) < 0.015, `${counts}`);
});

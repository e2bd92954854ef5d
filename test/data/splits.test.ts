// Split invariants: every class in every split, fractions held, no item in two splits, seeded;
// the imbalance builder's exact proportions and disjoint train/test/unseen people; balanced sampling.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ItemMeta } from "../../src/data/imageset.js";
import { buildImbalanceSplit, parseProportions } from "../../src/data/imbalance.js";
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

const people: ItemMeta[] = Array.from({ length: 400 }, (_, i) => ({
  dataset: "utk",
  source: `img${i}.jpg`,
  attrs: { gender: i < 150 ? 1 : 0, race: i % 5 },
}));

test("proportion specs", () => {
  assert.deepEqual(parseProportions("30/70", ["male", "female"]), { 0: 0.3, 1: 0.7 });
  assert.deepEqual(parseProportions("40% White", ["White", "Black", "Asian", "Indian", "Others"]), {
    0: 0.4,
    1: 0.15,
    2: 0.15,
    3: 0.15,
    4: 0.15,
  });
  assert.deepEqual(parseProportions("female=20", ["male", "female"]), { 0: 0.8, 1: 0.2 });
  assert.throws(() => parseProportions("Martian=20", ["male", "female"]), /unknown group 'Martian'/);
  assert.throws(() => parseProportions("10/20/70", ["male", "female"]), /3 parts but there are 2 groups/);
});

test("imbalance builder: exact proportions, one class per image, K copies, disjoint unseen, seeded", () => {
  for (const [m, f] of [
    [50, 50],
    [40, 60],
    [30, 70],
    [20, 80],
    [10, 90],
  ] as const) {
    const split = buildImbalanceSplit(
      { name: "utk", items: people },
      {
        attribute: "gender",
        proportions: { 0: m / 100, 1: f / 100 },
        identities: 100,
        seed: 1,
        groupNames: ["male", "female"],
      },
    );
    const mf = split.manifest.people.map((p) => p.group);
    assert.equal(mf.filter((g) => g === 0).length, m);
    assert.equal(mf.filter((g) => g === 1).length, f);
    assert.equal(new Set(split.manifest.people.map((p) => p.item)).size, 100, "each image one identity");
    assert.deepEqual(
      split.manifest.people.map((p) => p.cls),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(split.train.length, 1600); // 16 copies (seed)
    assert.equal(split.test.length, 200); // original + one more augmented copy
    assert.equal(split.test.filter((t) => t.augSeed === null).length, 100);
    const trainSeeds = new Set(split.train.map((t) => t.augSeed));
    assert.equal(trainSeeds.size, 1600);
    assert.ok(
      split.test.every((t) => t.augSeed === null || !trainSeeds.has(t.augSeed)),
      "test copy differs from train copies",
    );
    // unseen: 25 people, none of them in training, spread over both groups
    assert.equal(split.unseen.length, 25);
    const trainItems = new Set(split.train.map((t) => t.item));
    assert.ok(split.unseen.every((u) => !trainItems.has(u.item)));
    assert.deepEqual(split.manifest.groups.male, { identities: m, unseen: 13, available: 250 });
    for (const p of split.manifest.people) assert.equal(people[p.item]?.attrs?.gender, p.group);
  }
  const o = {
    attribute: "race",
    proportions: parseProportions("20% 0", ["0", "1", "2", "3", "4"]),
    identities: 100,
    seed: 5,
  };
  assert.deepEqual(
    buildImbalanceSplit({ name: "utk", items: people }, o),
    buildImbalanceSplit({ name: "utk", items: people }, o),
  );
});

test("imbalance builder says why a request cannot be met", () => {
  const set = { name: "utk", items: people };
  assert.throws(
    () =>
      buildImbalanceSplit(set, {
        attribute: "gender",
        proportions: { 0: 0.1, 1: 0.9 },
        identities: 200,
        seed: 1,
        groupNames: ["male", "female"],
      }),
    /group female needs 180 identities \+ 12 unseen = 192 images but only 150 have gender=1/,
  );
  assert.throws(
    () => buildImbalanceSplit(set, { attribute: "gender", proportions: { 0: 0.3, 1: 0.7 }, identities: 15, seed: 1 }),
    /15 identities cannot be split exactly .*choose a multiple of 10/,
  );
});

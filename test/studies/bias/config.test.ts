import assert from "node:assert/strict";
import { test } from "node:test";
import { cells, expandSplits, parseBiasConfig } from "../../../src/studies/bias/config.js";

const base = { name: "g", data: { groups: ["male", "female"] }, losses: ["ring", "sphereface"] };

test("gender sweep 50/50 … 10/90: the focus group's share, the rest to the other group", () => {
  const cfg = parseBiasConfig({ ...base, splits: { focus: "male", levels: [0.5, 0.4, 0.3, 0.2, 0.1] }, seeds: [0, 1] });
  const s = expandSplits(cfg);
  assert.deepEqual(
    s.map((x) => x.name),
    ["50/50", "40/60", "30/70", "20/80", "10/90"],
  );
  assert.ok(Math.abs((s[4]?.proportions.female as number) - 0.9) < 1e-12);
  assert.equal(s[3]?.level, 0.2);
  const grid = cells(cfg);
  assert.equal(grid.length, 5 * 2 * 2);
  assert.equal(new Set(grid.map((c) => c.id)).size, grid.length, "cell ids are unique");
  assert.equal(grid[0]?.id, "50-50__ring__s0");
});

test("race by % White: White gets the level, the other groups share the rest equally", () => {
  const cfg = parseBiasConfig({
    name: "race",
    data: { attribute: "race", groups: ["White", "Black", "Asian", "Indian"] },
    splits: { focus: "White", levels: [0.2, 0.9] },
    losses: ["ring"],
  });
  const [a, b] = expandSplits(cfg);
  assert.deepEqual(a?.proportions, { White: 0.2, Black: 0.8 / 3, Asian: 0.8 / 3, Indian: 0.8 / 3 });
  assert.equal(b?.name, "90/3.3/3.3/3.3");
});

test("explicit splits: missing groups are 0, sums must be 1, groups must exist", () => {
  const ok = parseBiasConfig({ ...base, splits: [{ name: "all-male", proportions: { male: 1 } }] });
  assert.deepEqual(expandSplits(ok)[0]?.proportions, { male: 1, female: 0 });
  assert.throws(
    () => parseBiasConfig({ ...base, splits: [{ proportions: { male: 0.5, female: 0.6 } }] }),
    /sum to 1.1, expected 1/,
  );
  assert.throws(
    () => parseBiasConfig({ ...base, splits: [{ proportions: { men: 1 } }] }),
    /group "men", not one of data.groups/,
  );
  assert.throws(
    () => parseBiasConfig({ ...base, splits: { focus: "x", levels: [0.5] } }),
    /splits.focus "x" is not one of/,
  );
});

test("unknown keys and bad values are errors that name the key", () => {
  assert.throws(
    () => parseBiasConfig({ ...base, splits: { focus: "male", levels: [0.5] }, train: { lrr: 0.1 } }),
    /train/,
  );
  assert.throws(() => parseBiasConfig({ ...base, splits: { focus: "male", levels: [1.5] } }), /splits/);
  assert.throws(
    () => parseBiasConfig({ ...base, losses: ["ring", { name: "ring" }], splits: { focus: "male", levels: [0.5] } }),
    /two entries share a label/,
  );
});

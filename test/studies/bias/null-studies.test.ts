// Simulated bias studies through the study's own analysis (analyse: two-stage bootstrap, trend slopes,
// bootstrap p-values, Holm for the primary family, Benjamini–Hochberg for the rest). On null studies
// (no gap at any training share) the family-wise false-positive rate of the primary claims stays ≤ 5%;
// with a planted trend in one loss it is still found.
import assert from "node:assert/strict";
import { test } from "node:test";
import { uniformStream as rng } from "../../../src/data/rng.js";
import { parseLossConfig } from "../../../src/losses/index.js";
import { analyse } from "../../../src/studies/bias/analysis.js";
import type { CellRecord } from "../../../src/studies/bias/results.js";

const LEVELS = [0.1, 0.3, 0.5, 0.7, 0.9];
const LOSSES = ["softmax", "ring", "a-softmax"];
const SEEDS = [0, 1];
/** Standard error of one cell's gap estimate (≈ 300 test images per group at 85% accuracy). */
const SE = 0.03;

/**
 * One cell as the study records it: the gap estimate is the true gap plus sampling noise, and the
 * cell's bootstrap replicates scatter around its own estimate with the same standard error.
 */
function cell(loss: string, level: number, seed: number, trueGap: number, normal: () => number): CellRecord {
  const est = trueGap + SE * normal();
  const name = `${Math.round((1 - level) * 100)}/${Math.round(level * 100)}`;
  return {
    id: `${name}__${loss}__s${seed}`,
    configHash: "x",
    split: { name, level, proportions: { a: 1 - level, b: level } },
    loss: { name: loss, label: loss, config: parseLossConfig("softmax") },
    seed,
    temperature: 1,
    metrics: {
      rows: [
        { group: "a", metric: "accuracy", value: 0.85, ciLow: 0.81, ciHigh: 0.89, n: 300 },
        { group: "b", metric: "accuracy", value: 0.85 + est, ciLow: 0.81 + est, ciHigh: 0.89 + est, n: 300 },
        { group: "gap:b-rest", metric: "accuracy", value: est, ciLow: est - 2 * SE, ciHigh: est + 2 * SE, n: 600 },
      ],
      gapReplicates: { accuracy: Array.from({ length: 200 }, () => est + SE * normal()) },
      thresholds: { verification: 0.5, openSet: 0.5 },
      curves: {} as CellRecord["metrics"]["curves"],
      warnings: [],
    },
    train: { epochs: [], seconds: 0 },
    data: {},
    runDir: "",
    finishedAt: "",
  };
}

function study(k: number, slopeOf: (loss: string) => number) {
  const r = rng(90210 + k);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const records = LOSSES.flatMap((loss) =>
    LEVELS.flatMap((level) => SEEDS.map((seed) => cell(loss, level, seed, slopeOf(loss) * (level - 0.5), normal))),
  );
  return analyse(records, { focus: "b", ciLevel: 0.95, bootstrap: 200, metrics: ["accuracy"] });
}

test("null studies: primary family-wise false positives ≤ 5% of 400 simulated studies; BH ≤ 5% too", () => {
  const STUDIES = 400;
  let primaryFalse = 0;
  let secondaryFalse = 0;
  let unadjustedFalse = 0;
  for (let k = 0; k < STUDIES; k++) {
    const a = study(k, () => 0);
    assert.equal(a.trends.length, 3, "one primary trend per loss");
    assert.ok(a.trends.every((t) => t.family === "primary"));
    if (a.trends.some((t) => t.significant)) primaryFalse++;
    if (a.gaps.some((g) => g.significant)) secondaryFalse++;
    if ([...a.trends, ...a.gaps].some((c) => c.p <= 0.05)) unadjustedFalse++;
  }
  const rate = primaryFalse / STUDIES;
  assert.ok(rate <= 0.05, `primary FWER ${rate} (${primaryFalse} of ${STUDIES} null studies)`);
  assert.ok(secondaryFalse / STUDIES <= 0.05, `secondary false discoveries in ${secondaryFalse} of ${STUDIES}`);
  // Without adjustment, 18 claims per study at p ≤ 0.05 would "find" something in far more studies.
  assert.ok(unadjustedFalse / STUDIES > 0.2, `unadjusted: ${unadjustedFalse} of ${STUDIES}`);
  console.log(
    `null studies: ${STUDIES}; primary FWER ${rate}; BH any-discovery ${secondaryFalse / STUDIES}; unadjusted ${unadjustedFalse / STUDIES}`,
  );
});

test("a planted trend in one loss is still found in ≥ 90% of 100 simulated studies, the null losses stay quiet", () => {
  const STUDIES = 100;
  let found = 0;
  let falseOthers = 0;
  for (let k = 0; k < STUDIES; k++) {
    // The gap grows by 2.5 points per 10 points of share for ring only (−10 points at 10%, +10 at 90%).
    const a = study(1000 + k, (loss) => (loss === "ring" ? 0.25 : 0));
    const ring = a.trends.find((t) => t.loss === "ring")!;
    if (ring.significant && ring.slope > 0) found++;
    if (a.trends.some((t) => t.loss !== "ring" && t.significant)) falseOthers++;
  }
  assert.ok(found / STUDIES >= 0.9, `planted trend found in ${found} of ${STUDIES}`);
  assert.ok(falseOthers / STUDIES <= 0.05, `null losses significant in ${falseOthers} of ${STUDIES}`);
  console.log(`planted: found in ${found} of ${STUDIES}; null losses significant in ${falseOthers}`);
});

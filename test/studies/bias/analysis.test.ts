import assert from "node:assert/strict";
import { test } from "node:test";
import { uniformStream as rng } from "../../../src/data/rng.js";
import { parseLossConfig } from "../../../src/losses/index.js";
import { analyse } from "../../../src/studies/bias/analysis.js";
import type { CellRecord } from "../../../src/studies/bias/results.js";
import { parseResultsCsv, resultsCsv } from "../../../src/studies/bias/results.js";

/** A cell whose accuracy gap (focus "b" minus rest) is `gap`, with bootstrap replicates of sd `noise`. */
function cell(level: number, seed: number, gap: number, noise: number): CellRecord {
  const r = rng(seed * 1000 + Math.round(level * 100));
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const name = `${Math.round((1 - level) * 100)}/${Math.round(level * 100)}`;
  return {
    id: `${name}__ring__s${seed}`,
    configHash: "x",
    split: { name, level, proportions: { a: 1 - level, b: level } },
    loss: { name: "ring", label: "ring", config: parseLossConfig("ring") },
    seed,
    temperature: 1,
    metrics: {
      rows: [
        { group: "a", metric: "accuracy", value: 0.9, ciLow: 0.85, ciHigh: 0.95, n: 100 },
        { group: "b", metric: "accuracy", value: 0.9 + gap, ciLow: 0.8, ciHigh: 0.95, n: 100 },
        {
          group: "gap:b-rest",
          metric: "accuracy",
          value: gap,
          ciLow: gap - 2 * noise,
          ciHigh: gap + 2 * noise,
          n: 200,
        },
      ],
      gapReplicates: { accuracy: Array.from({ length: 200 }, () => gap + noise * normal()) },
      thresholds: { verification: 0.5, openSet: 0.5 },
      curves: {} as CellRecord["metrics"]["curves"],
      warnings: seed === 0 ? ['accuracy: group "b" has only 10 samples'] : [],
    },
    train: { epochs: [], seconds: 0 },
    data: {},
    runDir: "",
    finishedAt: "",
  };
}

const levels = [0.1, 0.3, 0.5];

test("a planted trend (gap shrinks as the group's share grows) is claimed, with its CI", () => {
  const recs = levels.flatMap((l) => [0, 1, 2].map((s) => cell(l, s, -0.5 * (0.5 - l), 0.02)));
  const a = analyse(recs, { focus: "b", ciLevel: 0.95, bootstrap: 500, metrics: ["accuracy"] });
  const t = a.trends[0];
  assert.ok(t && Math.abs(t.slope - 0.5) < 0.05, `slope ${t?.slope}`);
  assert.ok(t.excludesZero && t.ci[0] > 0, `CI ${t.ci}`);
  // The trend is the default primary family (one claim: one loss); Holm over one claim is the p itself.
  assert.equal(t.family, "primary");
  assert.equal(t.adjusted, t.p);
  assert.ok(t.p <= 2 / 501, `p ${t.p}`);
  assert.match(t.statement, /Holm-adjusted p = 0\.004 over 1 primary claim — a trend at the 0\.05 level\./);
  const g10 = a.gaps.find((g) => g.level === 0.1);
  assert.ok(g10?.excludesZero && g10.seeds === 3);
  assert.match(g10.statement, /ring, split 90\/10: accuracy of "b" minus the other groups = -0.200/);
  const g50 = a.gaps.find((g) => g.level === 0.5);
  assert.equal(g50?.excludesZero, false, "no gap at balance");
  assert.equal(a.warnings.length, 1, "the same warning from three cells is said once");
  assert.match(a.warnings[0] as string, /3 cells/);
  const spread = a.acrossSeeds.find((x) => x.level === 0.1 && x.group === "b" && x.metric === "accuracy");
  assert.equal(spread?.seeds, 3);
});

test("no trend planted: the CI of the slope includes zero and the statement says so", () => {
  const recs = levels.flatMap((l) => [0, 1].map((s) => cell(l, s, 0, 0.05)));
  const a = analyse(recs, { focus: "b", ciLevel: 0.95, bootstrap: 500, metrics: ["accuracy"] });
  assert.equal(a.trends[0]?.excludesZero, false);
  assert.match(a.trends[0]?.statement as string, /no evidence of a trend at the 0\.05 level/);
  // Gaps are secondary claims with Benjamini–Hochberg q-values.
  assert.ok(a.gaps.every((g) => g.family === "secondary" && g.adjusted >= g.p && !g.significant));
});

test("results.csv: one row per cell × group × metric, quoted fields round-trip", () => {
  const recs = [cell(0.1, 0, -0.1, 0.01)];
  const csv = resultsCsv('st,"x"', recs);
  const rows = parseResultsCsv(csv);
  assert.equal(rows.length, 3);
  assert.equal(rows[0]?.study, 'st,"x"');
  assert.equal(rows[2]?.group, "gap:b-rest");
  assert.equal(Number(rows[1]?.value), 0.8);
  assert.equal(rows[1]?.n, "100");
});

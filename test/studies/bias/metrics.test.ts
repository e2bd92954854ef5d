import assert from "node:assert/strict";
import { test } from "node:test";
import { globalThreshold } from "../../../src/studies/bias/curves.js";
import type { EvalOutputs } from "../../../src/studies/bias/evaluate.js";
import { cellMetrics, eceOf } from "../../../src/studies/bias/metrics.js";

test("ECE by hand: two bins, |0.5−0.9|·2 + |1−0.6|·2 over 4 = 0.4", () => {
  const conf = [0.9, 0.9, 0.6, 0.6];
  const correct = [1, 0, 1, 1];
  assert.ok(Math.abs(eceOf(conf, correct, [0, 1, 2, 3], 10) - 0.4) < 1e-12);
  // perfectly calibrated: confidence 0.75 with 3 of 4 right
  assert.ok(Math.abs(eceOf([0.75, 0.75, 0.75, 0.75], [1, 1, 1, 0], [0, 1, 2, 3], 15)) < 1e-12);
});

test("global threshold: at most rate·n non-mated scores lie at or above it", () => {
  const imp = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
  const above = (t: number) => imp.filter((x) => x >= t).length;
  assert.equal(above(globalThreshold(imp, 0.1)), 1); // only 1.0
  assert.ok(globalThreshold(imp, 0.1) > 0.9 && globalThreshold(imp, 0.1) < 0.9 + 1e-12);
  assert.equal(above(globalThreshold(imp, 0.25)), 2); // floor(2.5) = 2: 0.9, 1.0
  assert.equal(above(globalThreshold(imp, 0)), 0);
});

/** Two groups of 100 seen images: "a" all right, "b" half right; everything else benign. */
function outputs(): EvalOutputs {
  const n = 200;
  const group = Int32Array.from({ length: n }, (_, i) => (i < 100 ? 0 : 1));
  const correct = Uint8Array.from({ length: n }, (_, i) => (i < 100 ? 1 : i % 2));
  const conf = Float64Array.from({ length: n }, () => 0.8);
  const ug = Int32Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
  const uconf = Float64Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 0.95 : 0.5));
  return {
    groups: ["a", "b"],
    temperature: 1,
    seen: { group, correct, conf, confRaw: conf },
    unseen: { group: ug, conf: uconf, confRaw: uconf },
    verification: {
      group: ug,
      genuine: Float64Array.from({ length: 40 }, () => 0.9),
      impostors: Array.from({ length: 40 }, (_, i) =>
        Float64Array.from({ length: 10 }, (_, k) => (k === 0 && i >= 20 ? 0.95 : 0.1)),
      ),
    },
    openSet: {
      matedGroup: group,
      matedScore: Float64Array.from({ length: n }, () => 0.9),
      matedRankOne: correct,
      nonMatedGroup: ug,
      nonMatedScore: Float64Array.from({ length: 40 }, (_, i) => i / 40),
    },
  };
}

const opts = {
  focus: "b",
  identifiedThreshold: 0.9,
  far: 0.05,
  fpir: 0.1,
  eceBins: 10,
  bootstrap: 500,
  ciLevel: 0.95,
  minGroupSamples: 30,
  seed: 1,
};

test("per-group values, gaps and CIs on constructed outputs", () => {
  const m = cellMetrics(outputs(), opts);
  const row = (metric: string, group: string) => m.rows.find((r) => r.metric === metric && r.group === group);
  assert.equal(row("accuracy", "a")?.value, 1);
  assert.equal(row("accuracy", "b")?.value, 0.5);
  assert.equal(row("accuracy", "all")?.n, 200);
  const gap = row("accuracy", "gap:b-rest");
  assert.equal(gap?.value, -0.5);
  assert.ok((gap?.ciHigh as number) < 0, "CI of a 50-point gap with 100 per group excludes zero");
  assert.equal(row("accuracy", "worst")?.value, 0.5);
  assert.equal(row("accuracy", "min/max")?.value, 0.5);
  // Identified at 0.9: every 4th unseen person has 0.95 → 25% in both groups.
  assert.equal(row("identified_rate", "a")?.value, 0.25);
  // 400 impostor scores, 20 at 0.95 (group b's first impostor each): FAR 5% → threshold 0.1,
  // so group b's FMR is 10/100 = 0.1 per person and group a's 0.
  assert.ok(m.thresholds.verification > 0.1 && m.thresholds.verification < 0.1 + 1e-12);
  assert.equal(row("fmr", "a")?.value, 0);
  assert.ok(Math.abs((row("fmr", "b")?.value as number) - 0.1) < 1e-12);
  // ECE: confidence 0.8 everywhere; a is 100% right (0.2), b 50% (0.3).
  assert.ok(Math.abs((row("ece", "a")?.value as number) - 0.2) < 1e-12);
  assert.ok(Math.abs((row("ece", "b")?.value as number) - 0.3) < 1e-12);
  // 20 unseen people per group < 30: warned.
  assert.ok(
    m.warnings.some((w) =>
      /group "a" has only 20 samples \(< 30\) for confidence_unseen, identified_rate, .*fnmr/.test(w),
    ),
  );
  assert.equal(m.gapReplicates.accuracy?.length, 200);
});

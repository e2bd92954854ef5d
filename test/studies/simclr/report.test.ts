import assert from "node:assert/strict";
import { test } from "node:test";
import type { EvalMethod, EvalRow } from "../../../src/methods/evaluate.js";
import { headline } from "../../../src/studies/simclr/report.js";

const row = (method: EvalMethod, repeat: number, accuracy: number, pretrainEpoch = 10): EvalRow => ({
  task: "label",
  method,
  fraction: 0.01,
  labelled: 600,
  pretrainEpoch: method === "linear-probe" || method === "fine-tune" ? pretrainEpoch : 0,
  repeat,
  accuracy,
  balancedAccuracy: accuracy,
  perClassRecall: [],
  confusion: [],
  epochs: 1,
  history: [],
});

test("headline: means over repeats with t-intervals, and the paired gain's interval (hand-derived)", () => {
  const lp = [0.8, 0.82, 0.84];
  const lr = [0.7, 0.71, 0.75];
  const rows = [
    ...lp.map((a, i) => row("linear-probe", i, a)),
    ...lr.map((a, i) => row("linear-probe-random-init", i, a)),
    // an intermediate evaluation (epoch 5) is not the headline
    row("linear-probe", 0, 0.1, 5),
  ];
  const h = headline(rows)["label@1%"]!;
  assert.equal(h.labelled, 600);
  assert.equal(h["linear-probe"]!.repeats, 3);
  assert.ok(Math.abs(h["linear-probe"]!.accuracy - 0.82) < 1e-12);
  // s = 0.02, t(0.975, 2) = 4.302653: half-width 4.302653 · 0.02 / √3 = 0.049683
  const [lo, hi] = h["linear-probe"]!.ci95!;
  assert.ok(Math.abs(lo - (0.82 - 0.049683)) < 1e-5 && Math.abs(hi - (0.82 + 0.049683)) < 1e-5, `${lo} ${hi}`);
  // paired differences 0.10, 0.11, 0.09: mean 0.10, s = 0.01, half-width 0.024841
  assert.ok(Math.abs(h.linearProbeGain! - 0.1) < 1e-12);
  const [glo, ghi] = h.linearProbeGainCI95!;
  assert.ok(Math.abs(glo - 0.075159) < 1e-5 && Math.abs(ghi - 0.124841) < 1e-5, `${glo} ${ghi}`);
  // unpaired, the same numbers would give a much wider interval: pairing is what the gain uses
  assert.ok(ghi - glo < hi - lo);
});

test("headline: one repeat gives plain numbers without intervals", () => {
  const h = headline([row("fine-tune", 0, 0.9), row("scratch", 0, 0.85)])["label@1%"]!;
  assert.equal(h["fine-tune"]!.ci95, undefined);
  assert.ok(Math.abs(h.fineTuneGain! - 0.05) < 1e-12);
  assert.equal(h.fineTuneGainCI95, undefined);
});

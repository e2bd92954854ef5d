import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/data/rng.js";
import {
  calibration,
  calibrationFromLogits,
  eceMetric,
  fitTemperature,
  metricFrame,
  nll,
  softmax,
} from "../../src/eval/index.js";
import { liveTensors, tensor, tidy } from "../../src/torch/index.js";

const close = (a: number, b: number, tol = 1e-12, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

test("ECE on constructed predictions, by hand", () => {
  // 10 bins. Bin (0.6,0.7]: confidences 0.65 ×4, 3 correct → |0.75−0.65| = 0.1.
  // Bin (0.9,1.0]: 0.95 ×6, all correct → |1 − 0.95| = 0.05. ECE = 0.4·0.1 + 0.6·0.05 = 0.07.
  const conf = [0.65, 0.65, 0.65, 0.65, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
  const correct = [1, 1, 1, 0, 1, 1, 1, 1, 1, 1];
  const r = calibration(conf, correct, 10);
  close(r.ece, 0.07);
  close(r.mce, 0.1);
  assert.equal(r.bins.length, 10);
  assert.equal(r.bins[6]?.count, 4);
  close(r.bins[6]?.accuracy as number, 0.75);
  close(r.bins[9]?.confidence as number, 0.95);
  assert.ok(Number.isNaN(r.bins[0]?.accuracy as number));
  // Bin edges are right-closed: 0.7 falls in (0.6, 0.7], 0 in the first bin.
  assert.equal(calibration([0.7], [1], 10).bins[6]?.count, 1);
  assert.equal(calibration([0], [0], 10).bins[0]?.count, 1);
  // Perfect calibration: ECE 0.
  close(calibration([0.5, 0.5, 1], [1, 0, 1], 10).ece, 0);
  assert.throws(() => calibration([1.2], [1]), /not in \[0, 1\]/);
});

test("calibration from logits tensors and NLL by hand", () => {
  const start = liveTensors();
  tidy(() => {
    const logits = tensor(
      [
        [Math.log(3), 0],
        [0, Math.log(4)],
      ],
      { dtype: "float64" },
    );
    // Confidences 0.75 (correct) and 0.8 (wrong), both in bin (0.5, 1] → |0.5 − 0.775|.
    close(calibrationFromLogits(logits, [0, 0], { nBins: 2 }).ece, 0.275, 1e-12);
    close(nll(logits, [0, 0]), -(Math.log(0.75) + Math.log(0.2)) / 2, 1e-12);
  });
  assert.equal(liveTensors(), start);
});

test("temperature scaling recovers a known temperature on simulated logits", () => {
  // Calibrated logits c ~ 2·N(0,1) per class, labels drawn from softmax(c); the model reports
  // T·c (over-confident for T > 1, under for T < 1). The NLL-optimal temperature is ≈ T.
  const rng = new Rng(99);
  for (const T of [2.5, 0.6]) {
    const logits: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const c = Array.from({ length: 5 }, () => 2 * rng.normal());
      const p = softmax(c);
      let u = rng.next();
      let y = 0;
      while (y < 4 && u > (p[y] as number)) u -= p[y++] as number;
      labels.push(y);
      logits.push(c.map((v) => v * T));
    }
    const fit = fitTemperature(logits, labels);
    close(fit.temperature, T, 0.06 * T, `T=${T}`);
    assert.ok(fit.nllAfter < fit.nllBefore);
    close(fit.nllAfter, nll(logits, labels, fit.temperature), 1e-12);
    // Exact optimum: the NLL is not lower a little to either side.
    for (const f of [0.99, 1.01]) assert.ok(nll(logits, labels, fit.temperature * f) > fit.nllAfter);
    // And calibration improves.
    assert.ok(
      calibrationFromLogits(logits, labels, { temperature: fit.temperature }).ece <
        calibrationFromLogits(logits, labels).ece,
    );
  }
});

test("temperature fit on a tiny hand case: one sample, two classes", () => {
  // NLL(β) = log(1 + e^{−β·d}) for margin d of the true class: decreasing in β forever (all
  // correct), so β runs to its bound 1e4 → T = 1e-4.
  close(fitTemperature([[1, 0]], [0]).temperature, 1e-4, 1e-12);
  // Samples [1,0] labelled 0 and 1 once each... NLL(β) = log(1+e^−β) + log(1+e^β), minimised at β=0 → bound.
  close(
    fitTemperature(
      [
        [1, 0],
        [1, 0],
      ],
      [0, 1],
    ).temperature,
    1e4,
    1e-6,
  );
  // Three of four correct with margin d=1: optimum where σ(β) = 3/4 → β = ln 3.
  const fit = fitTemperature(
    [
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
    ],
    [0, 0, 0, 1],
  );
  close(fit.temperature, 1 / Math.log(3), 1e-9);
});

test("ECE per group through a metric frame", () => {
  const conf = [0.65, 0.65, 0.65, 0.65, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
  const correct = [1, 1, 1, 0, 1, 1, 1, 1, 1, 1];
  const f = metricFrame({
    metrics: { ece: eceMetric(10) },
    yTrue: correct,
    yPred: conf,
    groups: ["lo", "lo", "lo", "lo", "hi", "hi", "hi", "hi", "hi", "hi"],
    nBoot: 50,
  });
  close(f.overall.ece?.value as number, 0.07);
  close(f.byGroup.lo?.ece?.value as number, 0.1);
  close(f.byGroup.hi?.ece?.value as number, 0.05);
  assert.equal(f.worstGroup.ece, "lo");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/data/rng.js";
import {
  auc,
  detCurve,
  eer,
  errorRatesAt,
  errorRatesByGroup,
  nextUp,
  pairScores,
  pairsInGroup,
  roc,
  splitScores,
  tarAtFar,
  thresholdAtFmr,
} from "../../src/eval/index.js";
import { liveTensors, tensor, tidy } from "../../src/torch/index.js";

const close = (a: number, b: number, tol = 1e-12, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const G = [0.9, 0.8, 0.7, 0.4];
const I = [0.1, 0.2, 0.3, 0.6];

test("ROC, AUC, FMR/FNMR and EER on constructed scores", () => {
  const r = roc(G, I);
  assert.deepEqual(r.thresholds, [Number.POSITIVE_INFINITY, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]);
  assert.deepEqual(r.fmr, [0, 0, 0, 0, 0.25, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(r.tmr, [0, 0.25, 0.5, 0.75, 0.75, 1, 1, 1, 1]);
  close(auc(r), 15 / 16); // 15 of 16 genuine–impostor pairs ordered correctly
  assert.deepEqual(errorRatesAt(G, I, [0.5, 0.65, 0.1]), [
    { threshold: 0.5, fmr: 0.25, fnmr: 0.25 },
    { threshold: 0.65, fmr: 0, fnmr: 0.25 },
    { threshold: 0.1, fmr: 1, fnmr: 0 },
  ]);
  assert.deepEqual(eer(G, I), { eer: 0.25, threshold: 0.6 });
  // Crossing between points: FMR 0→0.5 while FNMR 0.5→0 → EER interpolates to 0.25.
  close(eer([0.9, 0.5], [0.5, 0.1]).eer, 0.25);
  // Ties enter the ROC together.
  assert.deepEqual(roc([0.5], [0.5]).fmr, [0, 1]);
});

test("threshold at FMR, TAR@FAR, DET", () => {
  close(thresholdAtFmr(I, 0.25), nextUp(0.3));
  assert.deepEqual(tarAtFar(G, I, 0.25), { tar: 1, threshold: nextUp(0.3), far: 0.25 });
  assert.deepEqual(tarAtFar(G, I, 0.1), { tar: 0.75, threshold: nextUp(0.6), far: 0 });
  assert.equal(thresholdAtFmr(I, 1), Number.NEGATIVE_INFINITY);
  assert.ok(nextUp(0.3) > 0.3 && nextUp(-0.3) > -0.3 && nextUp(0.3) - 0.3 < 1e-16);
  const d = detCurve(G, I);
  assert.equal(d.fnmr[1], 0.75);
  close(d.y[1] as number, 0.6744897502, 1e-8); // Φ⁻¹(0.75)
  assert.equal(d.x[0], Number.NEGATIVE_INFINITY);
});

test("Gaussian genuine/impostor scores: EER, TAR@FAR and AUC match the normal model", () => {
  // genuine ~ N(1,1), impostor ~ N(−1,1): EER = Φ(−1) = 0.15866; at FAR 1% the threshold is
  // −1 + 2.3263 and TAR = 1 − Φ(0.3263) = 0.3721; AUC = Φ(√2) = 0.92135.
  const rng = new Rng(17);
  const g = Float64Array.from({ length: 20000 }, () => 1 + rng.normal());
  const im = Float64Array.from({ length: 20000 }, () => -1 + rng.normal());
  close(eer(g, im).eer, 0.15866, 0.008, "EER");
  close(tarAtFar(g, im, 0.01).tar, 0.3721, 0.02, "TAR@FAR");
  close(auc(roc(g, im)), 0.92135, 0.006, "AUC");
});

test("pair scores from embeddings and per-group rates at a global threshold", () => {
  const start = liveTensors();
  tidy(() => {
    const emb = tensor([
      [1, 0],
      [2, 0],
      [0, 1],
      [1, 1],
    ]);
    const p = pairScores(emb, [0, 0, 1, 1], { blockSize: 3 });
    assert.deepEqual(Array.from(p.i), [0, 0, 0, 1, 1, 2]);
    assert.deepEqual(Array.from(p.j), [1, 2, 3, 2, 3, 3]);
    assert.deepEqual(Array.from(p.genuine), [1, 0, 0, 0, 0, 1]);
    const want = [1, 0, Math.SQRT1_2, 0, Math.SQRT1_2, Math.SQRT1_2];
    for (const [k, s] of p.score.entries()) close(s, want[k] as number, 1e-7);
    assert.deepEqual(
      Array.from(splitScores(p).genuine, (v) => Math.round(v * 1e6) / 1e6),
      [1, Math.round(Math.SQRT1_2 * 1e6) / 1e6],
    );
    const groups = ["x", "x", "y", "y"];
    assert.deepEqual(Array.from(pairsInGroup(p, groups, "y").j), [3]);
    const byGroup = errorRatesByGroup(p, groups, [0.8]);
    assert.equal(byGroup.x?.genuinePairs, 1);
    assert.equal(byGroup.x?.rates[0]?.fnmr, 0);
    assert.equal(byGroup.y?.rates[0]?.fnmr, 1); // y's genuine pair (0.707) is rejected at 0.8
    assert.ok(Number.isNaN(byGroup.y?.rates[0]?.fmr as number)); // no same-group impostors
    // Plain arrays work too.
    assert.equal(
      pairScores(
        [
          [1, 0],
          [0, 1],
        ],
        [0, 1],
      ).score[0],
      0,
    );
  });
  assert.equal(liveTensors(), start);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  confidenceHistograms,
  fnirAtFpir,
  histogram,
  identifiedCurve,
  identifiedRate,
  nextUp,
  openSetRates,
  openSetRatesByGroup,
  searchGallery,
} from "../../src/eval/index.js";
import { liveTensors, tensor, tidy } from "../../src/torch/index.js";

const S = { matedScores: [0.95, 0.8, 0.99, 0.6], matedCorrect: [1, 1, 0, 1], nonMatedScores: [0.95, 0.5, 0.3, 0.92] };

test("FPIR and FNIR at thresholds on constructed searches", () => {
  assert.deepEqual(openSetRates(S, [0.9, 0.5, 0]), [
    { threshold: 0.9, fpir: 0.5, fnir: 0.75 }, // mate 0.8 and 0.6 below τ, 0.99 is the wrong identity
    { threshold: 0.5, fpir: 0.75, fnir: 0.25 }, // score = τ counts as a candidate returned
    { threshold: 0, fpir: 1, fnir: 0.25 }, // a wrong rank-1 identity is a miss at any τ
  ]);
  assert.deepEqual(fnirAtFpir(S, 0.25), { threshold: nextUp(0.92), fpir: 0.25, fnir: 0.75 });
});

test("the seed's identified rate: unseen people with max softmax > threshold", () => {
  const unseen = S.nonMatedScores;
  assert.equal(identifiedRate(unseen), 0.5); // default threshold 0.9
  assert.equal(identifiedRate(unseen, 0.95), 0); // strictly greater, as the seed says
  const curve = identifiedCurve(unseen);
  assert.equal(curve.length, 101);
  assert.deepEqual(curve[0], { threshold: 0, rate: 1 });
  assert.equal(curve[50]?.rate, 0.5); // 0.95, 0.92 > 0.5; 0.5 is not
  assert.equal(curve.at(-1)?.rate, 0);
  for (let i = 1; i < curve.length; i++) assert.ok((curve[i]?.rate as number) <= (curve[i - 1]?.rate as number));
});

test("confidence histograms", () => {
  const h = histogram([0, 0.05, 0.5, 0.99, 1], { bins: 10 });
  assert.deepEqual(h.counts, [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
  assert.equal(h.edges.length, 11);
  assert.equal(h.fractions[0], 0.4);
  const both = confidenceHistograms([0.99, 0.98], [0.2, 0.97, 0.5], 4);
  assert.deepEqual(both.seen.counts, [0, 0, 0, 2]);
  assert.deepEqual(both.unseen.counts, [1, 0, 1, 1]);
  assert.throws(() => histogram([1], { bins: 0 }), /bins/);
});

test("per-group FPIR/FNIR at a global threshold", () => {
  const r = openSetRatesByGroup(S, ["a", "a", "b", "b"], ["a", "b", "b", "a"], [0.9]);
  // a: mated 0.95 ✓, 0.8 < τ → FNIR 1/2; non-mated 0.95, 0.92 ≥ τ → FPIR 1. b: mated 0.99 wrong, 0.6 → 1; non-mated 0.5, 0.3 → 0.
  assert.deepEqual(r, { a: [{ threshold: 0.9, fpir: 1, fnir: 0.5 }], b: [{ threshold: 0.9, fpir: 0, fnir: 1 }] });
});

test("gallery search against per-identity templates", () => {
  const start = liveTensors();
  tidy(() => {
    // Identity 7: [1,0] and [1,0.2]; identity 3: [0,1]. Template 7 ∝ mean of normalised rows.
    const gallery = tensor(
      [
        [1, 0],
        [1, 0.2],
        [0, 1],
      ],
      { dtype: "float64" },
    );
    const probes = tensor(
      [
        [2, 0.1],
        [0.1, 1],
        [-1, -1],
      ],
      { dtype: "float64" },
    );
    const { topScores, topIdentities } = searchGallery(gallery, [7, 7, 3], probes);
    assert.deepEqual(Array.from(topIdentities), [7, 3, 3]);
    const n2 = Math.hypot(1, 0.2);
    const t7 = [(1 + 1 / n2) / 2, 0.2 / n2 / 2];
    const t7n = Math.hypot(t7[0] as number, t7[1] as number);
    const want0 = ((2 * (t7[0] as number)) / t7n + (0.1 * (t7[1] as number)) / t7n) / Math.hypot(2, 0.1);
    assert.ok(Math.abs((topScores[0] as number) - want0) < 1e-12);
    assert.ok(Math.abs((topScores[2] as number) + Math.SQRT1_2) < 1e-12); // best of −cos 45° and ≈ −0.77
  });
  assert.equal(liveTensors(), start);
});

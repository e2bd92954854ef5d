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
} from "../../src/eval/index.js";

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

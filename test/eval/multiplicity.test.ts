import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/data/rng.js";
import { bhQValues, bootstrapPValue, holm } from "../../src/eval/multiplicity.js";

const close = (a: number[], b: number[]) => {
  assert.equal(a.length, b.length);
  for (const [i, v] of a.entries())
    assert.ok(Object.is(v, b[i]) || Math.abs(v - b[i]!) < 1e-12, `${i}: ${v} vs ${b[i]}`);
};

test("Holm against hand-computed values", () => {
  // sorted 0.005, 0.01, 0.03, 0.04 → 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06
  close(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02]);
  // step-down monotonicity: 2·0.02 = 0.04, then max(0.04, 0.025) = 0.04
  close(holm([0.02, 0.025]), [0.04, 0.04]);
  // capped at 1; NaN claims are out of the family (m = 2) and stay NaN
  close(holm([0.6, Number.NaN, 0.01]), [0.6, Number.NaN, 0.02]);
  close(holm([0.7, 0.9]), [1, 1]);
  assert.deepEqual(holm([]), []);
  assert.throws(() => holm([0.1, 1.5]), /p-value 1 is 1.5/);
});

test("Benjamini–Hochberg q-values against hand-computed values", () => {
  // ranks 1..4 of 0.005, 0.01, 0.03, 0.04: m·p/rank = 0.02, 0.02, 0.04, 0.04 (already monotone)
  close(bhQValues([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02]);
  // step-up: rank 1 gives 2·0.02/1 = 0.04 but rank 2 gives 2·0.025/2 = 0.025, which caps it
  close(bhQValues([0.02, 0.025]), [0.025, 0.025]);
  // 4·0.01/1, 4·0.02/2, 4·0.03/3 = 0.04 each; 4·0.5/4 = 0.5
  close(bhQValues([0.5, 0.03, 0.01, 0.02]), [0.5, 0.04, 0.04, 0.04]);
  close(bhQValues([0.01, Number.NaN, 0.04]), [0.02, Number.NaN, 0.04]);
  // ties keep equal q
  close(bhQValues([0.03, 0.03, 0.03]), [0.03, 0.03, 0.03]);
});

test("bootstrap p-value counts both tails with the +1 correction", () => {
  // 1 draw ≤ 0, 3 draws ≥ 0 of 4: 2·(1 + 1)/(4 + 1)
  assert.equal(bootstrapPValue([-1, 1, 2, 3]), 0.8);
  // every draw above: the smallest possible p with 99 draws
  assert.equal(bootstrapPValue(Array.from({ length: 99 }, (_, i) => i + 1)), 0.02);
  assert.equal(bootstrapPValue([1, 2, Number.NaN, 3], 2), 1);
  assert.ok(Number.isNaN(bootstrapPValue([Number.NaN])));
});

/**
 * Null families with correlated test statistics (equicorrelated normals, ρ = 0.5, as claims about
 * the same study share data): Holm's family-wise error rate and BH's false-discovery rate (equal to
 * the FWER when every null is true) stay at or below α; with one planted effect of 4 standard errors,
 * Holm still finds it in nearly every family.
 */
test("simulated null families: Holm FWER and BH FDR ≤ 5% (4000 families of 6); a planted effect is found", () => {
  const FAMILIES = 4000;
  const M = 6;
  const rng = new Rng(2026);
  const pTwoSided = (z: number) => 2 * (1 - normalCdf(Math.abs(z)));
  let holmFalse = 0;
  let bhFalse = 0;
  let found = 0;
  let plantedFalse = 0;
  let unadjustedFalse = 0;
  for (let f = 0; f < FAMILIES; f++) {
    const shared = rng.normal();
    const z = Array.from({ length: M }, () => Math.sqrt(0.5) * shared + Math.sqrt(0.5) * rng.normal());
    const p = z.map(pTwoSided);
    if (p.some((v) => v <= 0.05)) unadjustedFalse++;
    if (holm(p).some((v) => v <= 0.05)) holmFalse++;
    if (bhQValues(p).some((v) => v <= 0.05)) bhFalse++;
    const planted = [...z];
    planted[0] = planted[0]! + 4;
    const adj = holm(planted.map(pTwoSided));
    if (adj[0]! <= 0.05) found++;
    if (adj.slice(1).some((v) => v <= 0.05)) plantedFalse++;
  }
  assert.ok(holmFalse / FAMILIES <= 0.05, `Holm FWER ${holmFalse / FAMILIES}`);
  assert.ok(bhFalse / FAMILIES <= 0.05, `BH FDR under the global null ${bhFalse / FAMILIES}`);
  // Power of a 4-SE effect at Holm's first step (α/6): P(|Z + 4| > 2.64) ≈ 0.91.
  assert.ok(found / FAMILIES >= 0.88, `planted effect found in ${found / FAMILIES}`);
  assert.ok(plantedFalse / FAMILIES <= 0.05, `false positives beside the planted effect ${plantedFalse / FAMILIES}`);
  // The simulation has teeth: testing each claim at 5% without adjustment errs far more often.
  assert.ok(unadjustedFalse / FAMILIES > 0.12, `unadjusted FWER ${unadjustedFalse / FAMILIES}`);
});

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp((-x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

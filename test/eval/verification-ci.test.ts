// Verification intervals: the weighted sweep equals roc/auc/eer/tarAtFar/errorRatesAt on the
// repeated pairs, and resampling by identity gives the width and coverage that pairs sharing a
// person call for, where resampling pairs is too narrow.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/data/rng.js";
import {
  auc,
  eer,
  errorRatesAt,
  normalQuantile,
  type Pairs,
  roc,
  splitScores,
  tarAtFar,
  verificationCI,
  weightedMetrics,
} from "../../src/eval/index.js";

const close = (a: number, b: number, tol = 1e-12, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

/** Every pair i < j of samples with these identities, scored by score(i, j, genuine). */
function allPairs(ids: number[], score: (i: number, j: number, genuine: boolean) => number): Pairs {
  const i: number[] = [];
  const j: number[] = [];
  const s: number[] = [];
  const g: number[] = [];
  for (let a = 0; a < ids.length; a++)
    for (let b = a + 1; b < ids.length; b++) {
      const same = ids[a] === ids[b];
      i.push(a);
      j.push(b);
      s.push(score(a, b, same));
      g.push(same ? 1 : 0);
    }
  return { i: Int32Array.from(i), j: Int32Array.from(j), score: Float64Array.from(s), genuine: Uint8Array.from(g) };
}

/**
 * K people × 4 samples: each person's 6 genuine pairs and impostor pairs with the next 3 people
 * (sample d of the person vs sample 0 of the other). Scores from the callbacks plus noise·N(0,1).
 */
function personPairs(
  K: number,
  genuine: (person: number) => number,
  impostor: (a: number, b: number) => number,
  noise: () => number,
): { p: Pairs; ids: number[] } {
  const ids = Array.from({ length: K * 4 }, (_, k) => Math.floor(k / 4));
  const i: number[] = [];
  const j: number[] = [];
  const s: number[] = [];
  const g: number[] = [];
  const add = (a: number, b: number, same: boolean, score: number) => {
    i.push(a);
    j.push(b);
    g.push(same ? 1 : 0);
    s.push(score + noise());
  };
  for (let person = 0; person < K; person++) {
    for (let x = 0; x < 4; x++)
      for (let y = x + 1; y < 4; y++) add(4 * person + x, 4 * person + y, true, genuine(person));
    for (let d = 1; d <= 3; d++) {
      const other = (person + d) % K;
      add(4 * person + d, 4 * other, false, impostor(person, other));
    }
  }
  const p = { i: Int32Array.from(i), j: Int32Array.from(j), score: Float64Array.from(s), genuine: Uint8Array.from(g) };
  return { p, ids };
}

const descending = (p: Pairs) =>
  Int32Array.from(p.score, (_, k) => k).sort((a, b) => (p.score[b] as number) - (p.score[a] as number));

test("the weighted sweep equals the unweighted metrics on the pairs repeated, ties included", () => {
  const rng = new Rng(1);
  const ids = Array.from({ length: 24 }, (_, k) => k % 6);
  // Scores rounded to 0.05 so that many tie, across genuine and impostor pairs.
  const p = allPairs(ids, (_a, _b, same) => Math.round((rng.normal() + (same ? 1.5 : 0)) * 20) / 20);
  const order = descending(p);
  const far = [0, 0.01, 0.1, 0.5, 1];
  const thresholds = [-0.5, 0.5, 1.25];
  for (let trial = 0; trial < 20; trial++) {
    const w = Float64Array.from(p.score, () => (trial === 0 ? 1 : rng.int(0, 3)));
    const rep: Pairs = {
      i: new Int32Array(),
      j: new Int32Array(),
      score: new Float64Array(),
      genuine: new Uint8Array(),
    };
    const sc: number[] = [];
    const gn: number[] = [];
    w.forEach((k, m) => {
      for (let t = 0; t < k; t++) {
        sc.push(p.score[m] as number);
        gn.push(p.genuine[m] as number);
      }
    });
    rep.score = Float64Array.from(sc);
    rep.genuine = Uint8Array.from(gn);
    const { genuine, impostor } = splitScores(rep);
    const got = weightedMetrics(p, order, w, far, thresholds);
    const want = [
      auc(roc(genuine, impostor)),
      eer(genuine, impostor).eer,
      ...far.map((f) => tarAtFar(genuine, impostor, f).tar),
      ...errorRatesAt(genuine, impostor, thresholds).flatMap((r) => [r.fmr, r.fnmr]),
    ];
    assert.equal(got.length, want.length);
    for (const [k, v] of got.entries()) close(v, want[k] as number, 1e-12, `trial ${trial} entry ${k}`);
  }
  const none = weightedMetrics(p, order, new Float64Array(p.score.length), far, thresholds);
  assert.ok(none.every(Number.isNaN), "no pairs: every metric undefined");
});

test("point estimates are the plain metrics; identity resampling is the default with identities", () => {
  const rng = new Rng(2);
  const ids = Array.from({ length: 30 }, (_, k) => k % 10);
  const p = allPairs(ids, (_a, _b, same) => rng.normal() + (same ? 2 : 0));
  const { genuine, impostor } = splitScores(p);
  const ci = verificationCI(p, { identities: ids, nBoot: 200, far: [0.05], thresholds: [1] });
  assert.equal(ci.resample, "identity");
  assert.equal(ci.genuinePairs, 30);
  assert.equal(ci.impostorPairs, 405);
  close(ci.auc.value, auc(roc(genuine, impostor)));
  close(ci.eer.value, eer(genuine, impostor).eer);
  close(ci.tarAtFar[0]?.tar.value as number, tarAtFar(genuine, impostor, 0.05).tar);
  const [r] = errorRatesAt(genuine, impostor, [1]);
  close(ci.ratesAt[0]?.fmr.value as number, r?.fmr as number);
  close(ci.ratesAt[0]?.fnmr.value as number, r?.fnmr as number);
  for (const e of [ci.auc, ci.eer, ci.tarAtFar[0]?.tar, ci.ratesAt[0]?.fnmr])
    assert.ok(e && e.lo <= e.value && e.value <= e.hi, `interval ${JSON.stringify(e)} brackets its value`);
  assert.equal(verificationCI(p, { nBoot: 10 }).resample, "pair");
  assert.equal(verificationCI(p, { identities: ids, resample: "pair", nBoot: 10 }).resample, "pair");
});

test("a person's genuine pairs all alike: the identity CI of FNMR is √(pairs per person) wider", () => {
  // 80 people × 4 samples = 6 genuine pairs each, all with the person's one score (no noise).
  const rng = new Rng(3);
  const K = 80;
  const personScore = Array.from({ length: K }, () => rng.normal());
  const { p, ids } = personPairs(
    K,
    (person) => personScore[person] as number,
    () => rng.normal() - 3,
    () => 0,
  );
  const o = { identities: ids, nBoot: 2000, seed: 5, thresholds: [0] };
  const byPerson = verificationCI(p, o).ratesAt[0]?.fnmr as { value: number; lo: number; hi: number };
  const byPair = verificationCI(p, { ...o, resample: "pair" }).ratesAt[0]?.fnmr as typeof byPerson;
  const q = byPerson.value;
  const wide = byPerson.hi - byPerson.lo;
  const narrow = byPair.hi - byPair.lo;
  close(wide, 2 * 1.96 * Math.sqrt((q * (1 - q)) / K), 0.03, "width by person, textbook over 80 people");
  assert.ok(wide / narrow > 2 && wide / narrow < 3, `ratio ${wide / narrow}, √6 ≈ 2.45`);
});

test("identity resampling keeps FNMR and FMR intervals calibrated under person effects; pair resampling does not", () => {
  // Genuine score μ + u_person + e, impostor score v_a + v_b + e (each person's own bias as an
  // impostor), u, v ~ N(0, 1), e ~ N(0, 0.5²). 40 people × 4 samples: 6 genuine pairs each, and
  // impostor pairs with the next 3 people. Thresholds put the true FNMR at 0.2 and FMR at 0.1.
  const rng = new Rng(4);
  const K = 40;
  const mu = 3;
  const tG = mu + Math.sqrt(1.25) * normalQuantile(0.2);
  const tI = Math.sqrt(2.25) * normalQuantile(0.9);
  const datasets = 200;
  const hits = { identity: { fnmr: 0, fmr: 0 }, pair: { fnmr: 0, fmr: 0 } };
  for (let d = 0; d < datasets; d++) {
    const u = Array.from({ length: K }, () => rng.normal());
    const v = Array.from({ length: K }, () => rng.normal());
    const { p, ids } = personPairs(
      K,
      (person) => mu + (u[person] as number),
      (a, b) => (v[a] as number) + (v[b] as number),
      () => 0.5 * rng.normal(),
    );
    for (const resample of ["identity", "pair"] as const) {
      const ci = verificationCI(p, { identities: ids, resample, nBoot: 200, seed: d, far: [], thresholds: [tG, tI] });
      const fnmr = ci.ratesAt[0]?.fnmr;
      const fmr = ci.ratesAt[1]?.fmr;
      if (fnmr && fnmr.lo <= 0.2 && 0.2 <= fnmr.hi) hits[resample].fnmr++;
      if (fmr && fmr.lo <= 0.1 && 0.1 <= fmr.hi) hits[resample].fmr++;
    }
  }
  const rate = (h: number) => h / datasets;
  assert.ok(rate(hits.identity.fnmr) >= 0.88, `FNMR coverage by identity ${rate(hits.identity.fnmr)}`);
  assert.ok(rate(hits.identity.fmr) >= 0.88, `FMR coverage by identity ${rate(hits.identity.fmr)}`);
  assert.ok(rate(hits.pair.fnmr) <= 0.8, `FNMR coverage by pair ${rate(hits.pair.fnmr)}`);
  assert.ok(rate(hits.pair.fmr) <= 0.85, `FMR coverage by pair ${rate(hits.pair.fmr)}`);
});

test("identities must match the pairs", () => {
  const ids = [0, 0, 1, 1];
  const p = allPairs(ids, (_a, _b, same) => (same ? 1 : 0));
  assert.throws(
    () => verificationCI(p, { identities: [0, 1, 1, 1] }),
    /pair 0 is marked genuine but its samples have identities 0 and 1; pass the identities given to pairScores/,
  );
  assert.throws(
    () => verificationCI(p, { identities: [0, 0, 1] }),
    /pair 2 joins samples 0 and 3 but identities has 3/,
  );
  assert.throws(() => verificationCI(p, { resample: "identity" }), /resample "identity" needs identities/);
  assert.throws(() => verificationCI(p, { far: [2] }), /far must be in \[0, 1\], got 2/);
});

// Bootstrap intervals for 1:1 verification metrics (AUC, EER, TAR@FAR, FMR/FNMR at thresholds).
// Pairs that share a person are correlated: one person's genuine pairs rise and fall together, and
// every impostor pair shares each of its two people with many other pairs. So when the samples'
// identities are given, pairs are resampled by identity (the default): people are drawn with
// replacement and a pair enters as often as both its people were drawn (the subsets bootstrap,
// see BootstrapOptions.clusters). resample: "pair" draws pairs one by one, which is right only when
// no two pairs share a person; on face data it gives intervals that are too narrow.
import { TorchError } from "../torch/index.js";
import { type BootstrapOptions, bootstrapReplicates, type Estimate, percentileIntervals } from "./bootstrap.js";
import { auc, eerOfRoc, nextUp, type Pairs, type Roc } from "./verification.js";

export interface VerificationCIOptions extends Omit<BootstrapOptions, "strata" | "clusters" | "resample"> {
  /** Identity of each sample (what pairs.i and pairs.j index), as given to pairScores. */
  identities?: ArrayLike<string | number>;
  /** "identity" (the default when identities are given) or "pair" (the only choice without them). */
  resample?: "identity" | "pair";
  /** TAR at these false accept rates, each at the threshold fixed on that resample's impostors (default [0.01]). */
  far?: number[];
  /** FMR and FNMR at these fixed thresholds (default none). */
  thresholds?: number[];
}

export interface VerificationCI {
  resample: "identity" | "pair";
  genuinePairs: number;
  impostorPairs: number;
  auc: Estimate;
  eer: Estimate;
  tarAtFar: { far: number; tar: Estimate }[];
  ratesAt: { threshold: number; fmr: Estimate; fnmr: Estimate }[];
}

/** Point estimates and percentile bootstrap intervals of verification metrics of a pair set. */
export function verificationCI(p: Pairs, o: VerificationCIOptions = {}): VerificationCI {
  const n = p.score.length;
  const far = o.far ?? [0.01];
  const thresholds = o.thresholds ?? [];
  for (const f of far)
    if (!(f >= 0 && f <= 1)) throw new TorchError(`verificationCI: far must be in [0, 1], got ${f}`, "ValueError");
  const resample = o.resample ?? (o.identities ? "identity" : "pair");
  if (resample !== "identity" && resample !== "pair")
    throw new TorchError(
      `verificationCI: resample must be "identity" or "pair", got ${String(resample)}`,
      "ValueError",
    );
  if (resample === "identity" && !o.identities)
    throw new TorchError('verificationCI: resample "identity" needs identities (one per sample)', "ValueError");
  const clusters = o.identities ? pairIdentities(p, o.identities) : undefined;
  // Pairs by descending score, once: every resample is a multiset of these, swept in this order.
  const order = Int32Array.from({ length: n }, (_, k) => k).sort(
    (a, b) => (p.score[b] as number) - (p.score[a] as number),
  );
  const w = new Float64Array(n);
  const stat = (idx: Int32Array): number[] => {
    w.fill(0);
    for (const k of idx) (w[k] as number)++;
    return weightedMetrics(p, order, w, far, thresholds);
  };
  const { point, replicates } = bootstrapReplicates(n, stat, {
    nBoot: o.nBoot,
    seed: o.seed,
    clusters,
    resample: resample === "identity" ? "cluster" : "unit",
  });
  const est = percentileIntervals(point, replicates, o.level);
  let genuinePairs = 0;
  for (const g of p.genuine) genuinePairs += g;
  return {
    resample,
    genuinePairs,
    impostorPairs: n - genuinePairs,
    auc: est[0] as Estimate,
    eer: est[1] as Estimate,
    tarAtFar: far.map((f, m) => ({ far: f, tar: est[2 + m] as Estimate })),
    ratesAt: thresholds.map((t, m) => ({
      threshold: t,
      fmr: est[2 + far.length + 2 * m] as Estimate,
      fnmr: est[3 + far.length + 2 * m] as Estimate,
    })),
  };
}

/** The two identities of every pair, checked against the pairs' genuine flags. */
function pairIdentities(p: Pairs, identities: ArrayLike<string | number>): [string[], string[]] {
  const a: string[] = [];
  const b: string[] = [];
  for (let k = 0; k < p.score.length; k++) {
    const i = p.i[k] as number;
    const j = p.j[k] as number;
    if (i >= identities.length || j >= identities.length)
      throw new TorchError(
        `verificationCI: pair ${k} joins samples ${i} and ${j} but identities has ${identities.length} entries`,
        "ValueError",
      );
    const [x, y] = [String(identities[i]), String(identities[j])];
    if ((x === y) !== (p.genuine[k] === 1))
      throw new TorchError(
        `verificationCI: pair ${k} is marked ${p.genuine[k] ? "genuine" : "impostor"} but its samples have identities ${x} and ${y}; pass the identities given to pairScores`,
        "ValueError",
      );
    a.push(x);
    b.push(y);
  }
  return [a, b];
}

/**
 * [auc, eer, tar@far…, (fmr, fnmr)@threshold…] of the pair multiset with weight w[k] per pair,
 * equal to roc/auc/eer/tarAtFar/errorRatesAt on the pairs repeated w[k] times. NaN without both
 * genuine and impostor pairs.
 */
export function weightedMetrics(p: Pairs, order: Int32Array, w: Float64Array, far: number[], thresholds: number[]) {
  let G = 0;
  let I = 0;
  for (let k = 0; k < w.length; k++) {
    if (p.genuine[k]) G += w[k] as number;
    else I += w[k] as number;
  }
  if (G === 0 || I === 0) return new Array<number>(2 + far.length + 2 * thresholds.length).fill(Number.NaN);
  // ROC: pairs enter in descending score, ties together (as roc()); absent pairs (weight 0) not at all.
  const r: Roc = { thresholds: [Number.POSITIVE_INFINITY], fmr: [0], tmr: [0] };
  let tp = 0;
  let fp = 0;
  let open = false; // a group of equal scores has entered and its ROC point is not written yet
  for (const k of order) {
    const wk = w[k] as number;
    if (wk === 0) continue;
    const s = p.score[k] as number;
    if (open && s !== r.thresholds.at(-1)) {
      r.fmr.push(fp / I);
      r.tmr.push(tp / G);
      open = false;
    }
    if (!open) {
      r.thresholds.push(s);
      open = true;
    }
    if (p.genuine[k]) tp += wk;
    else fp += wk;
  }
  r.fmr.push(fp / I);
  r.tmr.push(tp / G);
  const out = [auc(r), eerOfRoc(r).eer];
  for (const f of far) out.push(tarAt(p, order, w, f, G, I));
  for (const t of thresholds) {
    let ga = 0;
    let ia = 0;
    for (let k = 0; k < w.length; k++)
      if ((p.score[k] as number) >= t) {
        if (p.genuine[k]) ga += w[k] as number;
        else ia += w[k] as number;
      }
    out.push(ia / I, 1 - ga / G);
  }
  return out;
}

/** TAR at thresholdAtFmr(impostors, far): genuine share strictly above the k-th highest impostor. */
function tarAt(p: Pairs, order: Int32Array, w: Float64Array, far: number, G: number, I: number): number {
  const k = Math.floor(far * I + 1e-9);
  if (k >= I) return 1; // threshold −∞: everything accepted
  let seen = 0;
  let cut = Number.NaN;
  for (const m of order) {
    if (p.genuine[m] || w[m] === 0) continue;
    seen += w[m] as number;
    if (seen > k) {
      cut = p.score[m] as number;
      break;
    }
  }
  const threshold = nextUp(cut);
  let accepted = 0;
  for (let m = 0; m < w.length; m++)
    if (p.genuine[m] && (p.score[m] as number) >= threshold) accepted += w[m] as number;
  return accepted / G;
}

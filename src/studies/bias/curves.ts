// Threshold-free views of one cell, per group: the identified-rate (FPIR) curve over max-softmax
// thresholds with the matching FNIR on seen people, ROC/DET of embedding verification, reliability
// bins, and the raw confidence distributions (seed Figures 4, 5 and 9 drawn properly).
import { thresholdAtFmr } from "../../eval/index.js";
import type { EvalOutputs } from "./evaluate.js";

/**
 * The population operating point (FMR = FAR, or FPIR): the lowest threshold t with at most
 * rate·n of the non-mated scores at or above it (src/eval thresholdAtFmr). A score s matches when
 * s ≥ t; every group is then measured at this one t.
 */
export function globalThreshold(nonMated: number[], rate: number): number {
  return nonMated.length === 0 ? Number.NaN : thresholdAtFmr(nonMated, rate);
}

const grid = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

function groupsOf(group: Int32Array, names: string[]): [string, number[]][] {
  const out: [string, number[]][] = names.map((g) => [g, []]);
  group.forEach((g, i) => {
    out[g]?.[1].push(i);
  });
  out.push(["all", Array.from(group, (_, i) => i)]);
  return out;
}

export function scoreCurves(ev: EvalOutputs, identifiedThreshold: number, eceBins: number) {
  const names = ev.groups;
  const taus = grid(0, 1, 51).map((t) => round(t));
  // Identified-rate (FPIR on unseen people) and FNIR on seen people, both on max-softmax ≥ τ.
  const identified = groupsOf(ev.unseen.group, names).map(([group, idx]) => ({
    group,
    rate: taus.map((t) =>
      idx.length ? round(idx.filter((i) => (ev.unseen.conf[i] as number) >= t).length / idx.length) : null,
    ),
    rateRaw: taus.map((t) =>
      idx.length ? round(idx.filter((i) => (ev.unseen.confRaw[i] as number) >= t).length / idx.length) : null,
    ),
  }));
  const missed = groupsOf(ev.seen.group, names).map(([group, idx]) => ({
    group,
    fnir: taus.map((t) =>
      idx.length
        ? round(idx.filter((i) => !(ev.seen.correct[i] && (ev.seen.conf[i] as number) >= t)).length / idx.length)
        : null,
    ),
  }));
  // ROC / DET of cosine verification among unseen people, per group, on one threshold grid.
  const ts = grid(-1, 1, 101);
  const v = ev.verification;
  const roc = groupsOf(v.group, names).map(([group, idx]) => {
    const gen = idx.map((i) => v.genuine[i] as number);
    const imp = idx.flatMap((i) => Array.from(v.impostors[i] ?? []));
    return {
      group,
      genuine: gen.length,
      impostor: imp.length,
      fmr: ts.map((t) => (imp.length ? round(imp.filter((x) => x >= t).length / imp.length, 5) : null)),
      fnmr: ts.map((t) => (gen.length ? round(gen.filter((x) => x < t).length / gen.length, 5) : null)),
    };
  });
  const reliability = groupsOf(ev.seen.group, names).map(([group, idx]) => {
    const bins = Array.from({ length: eceBins }, (_, b) => ({
      lo: b / eceBins,
      hi: (b + 1) / eceBins,
      n: 0,
      acc: 0,
      conf: 0,
    }));
    for (const i of idx) {
      const c = ev.seen.conf[i] as number;
      const bin = bins[Math.min(eceBins - 1, Math.max(0, Math.ceil(c * eceBins) - 1))] as (typeof bins)[number];
      bin.n++;
      bin.acc += ev.seen.correct[i] as number;
      bin.conf += c;
    }
    return {
      group,
      bins: bins.map((b) => ({ ...b, acc: b.n ? round(b.acc / b.n) : null, conf: b.n ? round(b.conf / b.n) : null })),
    };
  });
  const dist = (group: Int32Array, conf: Float64Array) =>
    Object.fromEntries(
      names.map((g, k) => [
        g,
        Array.from(
          conf.filter((_, i) => group[i] === k),
          (c) => round(c),
        ),
      ]),
    );
  return {
    thresholds: taus,
    identified,
    missed,
    identifiedAt: identifiedThreshold,
    rocThresholds: ts.map((t) => round(t)),
    roc,
    reliability,
    confidence: { seen: dist(ev.seen.group, ev.seen.conf), unseen: dist(ev.unseen.group, ev.unseen.conf) },
  };
}

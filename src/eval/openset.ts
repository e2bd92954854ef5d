// Open-set identification: FPIR/FNIR over thresholds, the seed's "identified" rate for people not
// in the training set, and confidence histograms for seen vs unseen people.
import { callOp, F, noGrad, type Tensor, TorchError, tensor, tidy, zeros } from "../torch/index.js";
import { checkSameLength, type NumberArray, toFloat64, toLabels } from "./arrays.js";
import { thresholdAtFmr } from "./verification.js";

export interface OpenSetScores {
  /** Top score (e.g. max softmax) of each mated search: a probe whose identity is enrolled. */
  matedScores: NumberArray;
  /** Whether each mated search's top-ranked identity is the right one (rank-1). */
  matedCorrect: ArrayLike<boolean | number>;
  /** Top score of each non-mated search: a probe of someone not enrolled (unseen). */
  nonMatedScores: NumberArray;
}

export interface OpenSetRates {
  threshold: number;
  /** Non-mated searches returning a candidate at or above threshold (NIST FRVT). */
  fpir: number;
  /** Mated searches whose mate is not rank 1 or scores below threshold. */
  fnir: number;
}

export function openSetRates(s: OpenSetScores, thresholds: number[]): OpenSetRates[] {
  const mated = toFloat64(s.matedScores);
  const non = toFloat64(s.nonMatedScores);
  checkSameLength("openSetRates", mated, s.matedCorrect, "matedScores", "matedCorrect");
  return thresholds.map((t) => {
    let fp = 0;
    for (const v of non) if (v >= t) fp++;
    let fn = 0;
    mated.forEach((v, i) => {
      if (!s.matedCorrect[i] || v < t) fn++;
    });
    return {
      threshold: t,
      fpir: non.length ? fp / non.length : Number.NaN,
      fnir: mated.length ? fn / mated.length : Number.NaN,
    };
  });
}

/** FNIR at the lowest threshold whose FPIR is ≤ target (e.g. 0.01, 0.1 as in insightface's IJB 1:N). */
export function fnirAtFpir(s: OpenSetScores, targetFpir: number): OpenSetRates {
  return openSetRates(s, [thresholdAtFmr(s.nonMatedScores, targetFpir)])[0] as OpenSetRates;
}

/** 0, 0.01, …, 1: the default threshold grid for curves over max-softmax confidence. */
export const UNIT_THRESHOLDS: readonly number[] = Array.from({ length: 101 }, (_, i) => i / 100);

/**
 * The seed's "identified" rate: the share of people not in the training set whose maximum softmax
 * is greater than the threshold (seed: "a maximum softmax of greater than 90%"). This is FPIR at
 * that threshold, so compare it with FNIR on seen people at the same threshold.
 */
export function identifiedRate(unseenConfidences: NumberArray, threshold = 0.9): number {
  const c = toFloat64(unseenConfidences);
  if (c.length === 0) return Number.NaN;
  let n = 0;
  for (const v of c) if (v > threshold) n++;
  return n / c.length;
}

/** identifiedRate at every threshold of a grid (default 0, 0.01, …, 1). */
export function identifiedCurve(unseenConfidences: NumberArray, thresholds: readonly number[] = UNIT_THRESHOLDS) {
  const c = toFloat64(unseenConfidences);
  return thresholds.map((t) => ({ threshold: t, rate: identifiedRate(c, t) }));
}

export interface Histogram {
  /** bins + 1 edges. */
  edges: number[];
  counts: number[];
  /** counts / total (so histograms of different sizes compare). */
  fractions: number[];
}

/** Equal-width histogram over [lo, hi] (values outside are clamped into the end bins). */
export function histogram(values: NumberArray, o: { bins?: number; range?: [number, number] } = {}): Histogram {
  const v = toFloat64(values);
  const bins = o.bins ?? 20;
  const [lo, hi] = o.range ?? [0, 1];
  if (!(Number.isInteger(bins) && bins >= 1 && hi > lo))
    throw new TorchError(`histogram: need bins ≥ 1 and range lo < hi, got ${bins}, [${lo}, ${hi}]`, "ValueError");
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)));
    counts[b] = (counts[b] as number) + 1;
  }
  return {
    edges: Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins),
    counts,
    fractions: counts.map((c) => (v.length ? c / v.length : 0)),
  };
}

/** Confidence distributions of seen and unseen people on the same bins (seed Figures 4 and 5). */
export function confidenceHistograms(seen: NumberArray, unseen: NumberArray, bins = 20) {
  return { seen: histogram(seen, { bins }), unseen: histogram(unseen, { bins }) };
}

/**
 * FPIR/FNIR per group at thresholds fixed on the whole population: a mated search belongs to its
 * probe's group, a non-mated search to the unseen person's group.
 */
export function openSetRatesByGroup(
  s: OpenSetScores,
  matedGroups: ArrayLike<string | number>,
  nonMatedGroups: ArrayLike<string | number>,
  thresholds: number[],
): Record<string, OpenSetRates[]> {
  const mated = toFloat64(s.matedScores);
  const non = toFloat64(s.nonMatedScores);
  checkSameLength("openSetRatesByGroup", mated, matedGroups, "matedScores", "matedGroups");
  checkSameLength("openSetRatesByGroup", non, nonMatedGroups, "nonMatedScores", "nonMatedGroups");
  const names = [...new Set([...Array.from(matedGroups, String), ...Array.from(nonMatedGroups, String)])];
  return Object.fromEntries(
    names.map((g) => {
      const mi = Array.from(mated.keys()).filter((i) => String(matedGroups[i]) === g);
      const ni = Array.from(non.keys()).filter((i) => String(nonMatedGroups[i]) === g);
      const sub: OpenSetScores = {
        matedScores: mi.map((i) => mated[i] as number),
        matedCorrect: mi.map((i) => Number(s.matedCorrect[i])),
        nonMatedScores: ni.map((i) => non[i] as number),
      };
      return [g, openSetRates(sub, thresholds)];
    }),
  );
}

/**
 * 1:N search of probe embeddings against a gallery: each identity's template is the mean of its
 * L2-normalised gallery embeddings (renormalised); a probe's result is the most cosine-similar
 * template. Feed topScores/topIdentities to OpenSetScores (mated correct = topIdentity === truth).
 */
export function searchGallery(
  gallery: Tensor,
  galleryIds: NumberArray,
  probes: Tensor,
): { topScores: Float64Array; topIdentities: Int32Array } {
  const ids = toLabels(galleryIds, "galleryIds");
  if (gallery.ndim !== 2 || probes.ndim !== 2 || gallery.shape[1] !== probes.shape[1])
    throw new TorchError(
      `searchGallery: gallery and probes must be (N,D) with the same D, got [${gallery.shape}] and [${probes.shape}]`,
      "ValueError",
    );
  checkSameLength("searchGallery", { length: gallery.shape[0] as number }, ids, "gallery", "galleryIds");
  const identities = [...new Set(ids)].sort((a, b) => a - b);
  const column = new Map(identities.map((id, k) => [id, k]));
  return tidy(() =>
    noGrad(() => {
      const g = F.normalize(gallery.detach().double(), 2, 1);
      const cols = tensor(
        Array.from(ids, (id) => column.get(id) as number),
        { dtype: "int64", device: gallery.device },
      );
      const empty = zeros([identities.length, g.shape[1] as number], { dtype: "float64", device: gallery.device });
      const sums = callOp<Tensor>("index_add", empty, 0, cols, g);
      const templates = F.normalize(sums, 2, 1);
      const sims = F.normalize(probes.detach().double().to(gallery.device), 2, 1).matmul(templates.t());
      const { values, indices } = sims.max(1);
      return {
        topScores: Float64Array.from(values.toNumbers()),
        topIdentities: Int32Array.from(indices.toNumbers(), (k) => identities[k] as number),
      };
    }),
  );
}

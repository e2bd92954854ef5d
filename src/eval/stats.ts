// Small statistics: moments, quantiles, the normal and Student-t distributions, t-intervals.
import { TorchError } from "../torch/index.js";

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] as number;
  return x.length === 0 ? Number.NaN : s / x.length;
}

/** Sample standard deviation (n − 1 in the denominator); NaN for fewer than 2 values. */
export function std(x: ArrayLike<number>): number {
  if (x.length < 2) return Number.NaN;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += ((x[i] as number) - m) ** 2;
  return Math.sqrt(s / (x.length - 1));
}

/** Ordinary least-squares slope of y on x (the bias study's trend over imbalance levels); NaN when x has no spread. */
export function olsSlope(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length)
    throw new TorchError(`olsSlope: x has ${x.length} values but y has ${y.length}`, "ValueError");
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] as number) - mx;
    sxy += dx * ((y[i] as number) - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/** Quantile with linear interpolation between order statistics (numpy's default, Hyndman–Fan type 7). */
export function quantile(x: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new TorchError(`quantile: q must be in [0, 1], got ${q}`, "ValueError");
  const s = Float64Array.from(x)
    .filter((v) => !Number.isNaN(v))
    .sort();
  if (s.length === 0) return Number.NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return (s[lo] as number) + (h - lo) * ((s[hi] as number) - (s[lo] as number));
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~1e-15 relative). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    let num: number;
    if (i === 0) num = 1;
    else if (i % 2 === 0) num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return front * (f - 1);
}

/** CDF of Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF; exact to ~1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new TorchError(`studentTQuantile: p must be in (0, 1), got ${p}`, "ValueError");
  if (!(df > 0)) throw new TorchError(`studentTQuantile: df must be > 0, got ${df}`, "ValueError");
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Standard normal quantile Φ⁻¹(p) (probit), for DET axes: Acklam's rational approximation
 * (relative error 1.15e-9 over (0, 1), ample for plotting and for z-scores).
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const poly = (k: number[], x: number) => k.reduce((s, v) => s * x + v, 0);
  const pl = 0.02425;
  let x: number;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(c, q) / (poly(d, q) * q + 1);
  } else if (p <= 1 - pl) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(a, r) * q) / (poly(b, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(c, q) / (poly(d, q) * q + 1);
  }
  return x;
}

export interface Interval {
  mean: number;
  std: number;
  n: number;
  lo: number;
  hi: number;
  level: number;
}

/**
 * Mean with a Student-t confidence interval, mean ± t_{(1+level)/2, n−1}·s/√n — the across-seed
 * summary: with 3 seeds the 95% half-width is 4.30·s/√3, wide on purpose.
 */
export function tInterval(values: ArrayLike<number>, level = 0.95): Interval {
  if (!(level > 0 && level < 1)) throw new TorchError(`tInterval: level must be in (0, 1), got ${level}`, "ValueError");
  const n = values.length;
  const m = mean(values);
  const s = std(values);
  if (n < 2) return { mean: m, std: s, n, lo: Number.NaN, hi: Number.NaN, level };
  const half = studentTQuantile((1 + level) / 2, n - 1) * (s / Math.sqrt(n));
  return { mean: m, std: s, n, lo: m - half, hi: m + half, level };
}

/** Across-seed summary of each metric: per-seed records in, a t-interval per metric name out. */
export function aggregateSeeds(perSeed: Record<string, number>[], level = 0.95): Record<string, Interval> {
  const names = [...new Set(perSeed.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(
    names.map((n) => [
      n,
      tInterval(
        perSeed.map((r) => r[n]).filter((v): v is number => v !== undefined),
        level,
      ),
    ]),
  );
}

// Multiple-comparison control for a study's claims: Holm's step-down adjustment for a small declared
// family of primary hypotheses (controls the family-wise error rate under any dependence; Holm 1979,
// Scand. J. Statist. 6:65–70), Benjamini–Hochberg q-values for the many secondary claims (controls the
// false-discovery rate under independence or positive dependence; Benjamini & Hochberg 1995, JRSS-B
// 57:289–300), and the two-sided p-value of a bootstrap distribution against a null value.
// NaN p-values (claims that could not be estimated) are left out of the family and stay NaN.

function finiteOrder(p: ArrayLike<number>): number[] {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number;
    if (Number.isNaN(v)) continue;
    if (v < 0 || v > 1) throw new RangeError(`p-value ${i} is ${v}; p-values lie in [0, 1]`);
    idx.push(i);
  }
  // Stable: ties keep their input order, so the adjusted values do not depend on sort internals.
  return idx.sort((a, b) => (p[a] as number) - (p[b] as number) || a - b);
}

/**
 * Holm-adjusted p-values: with the m finite p-values sorted ascending, p̃₍ᵢ₎ = max over j ≤ i of
 * min(1, (m − j + 1)·p₍ⱼ₎). Rejecting where p̃ ≤ α keeps the family-wise error rate ≤ α.
 */
export function holm(p: ArrayLike<number>): number[] {
  const order = finiteOrder(p);
  const m = order.length;
  const out = Array.from({ length: p.length }, () => Number.NaN);
  let running = 0;
  order.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * (p[i] as number)));
    out[i] = running;
  });
  return out;
}

/**
 * Benjamini–Hochberg q-values: with the m finite p-values sorted ascending, q₍ᵢ₎ = min over j ≥ i of
 * min(1, m·p₍ⱼ₎ / j). Reporting the claims with q ≤ α keeps the expected false-discovery share ≤ α.
 */
export function bhQValues(p: ArrayLike<number>): number[] {
  const order = finiteOrder(p);
  const m = order.length;
  const out = Array.from({ length: p.length }, () => Number.NaN);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const i = order[k] as number;
    running = Math.min(running, Math.min(1, (m * (p[i] as number)) / (k + 1)));
    out[i] = running;
  }
  return out;
}

/**
 * Two-sided p-value of the hypothesis "the statistic equals `nullValue`" from its bootstrap draws:
 * twice the smaller tail share, each tail counted with the +1 correction of Davison & Hinkley (1997,
 * §4.4) so that p is never 0 with finitely many draws. This inverts the percentile interval: p < 1 − level
 * exactly when the percentile interval at that level excludes the null value (up to the +1 terms).
 */
export function bootstrapPValue(draws: ArrayLike<number>, nullValue = 0): number {
  let below = 0;
  let above = 0;
  let n = 0;
  for (let i = 0; i < draws.length; i++) {
    const d = draws[i] as number;
    if (!Number.isFinite(d)) continue;
    n++;
    if (d <= nullValue) below++;
    if (d >= nullValue) above++;
  }
  if (n === 0) return Number.NaN;
  return Math.min(1, (2 * (Math.min(below, above) + 1)) / (n + 1));
}

// Label-stratified splits that guarantee every class in every split (the seed lost all Asian faces
// from its validation split), with the per-class counts reported; and class-balanced sampling.
import { DataError } from "./options.js";
import { deriveSeed, Rng } from "./rng.js";

export interface StratifiedSplit {
  names: string[];
  /** item indices per split, in a seeded random order */
  indices: Int32Array[];
  /** counts[split][class] */
  counts: number[][];
  classes: number[];
}

/**
 * Splits items by label so each class is divided in the given fractions (largest-remainder
 * rounding) and appears at least once in every split. Throws when a class has fewer items than
 * there are splits, instead of silently leaving a split without it.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  fractions: Record<string, number>,
  seed: number,
  o: { classNames?: readonly string[] } = {},
): StratifiedSplit {
  const names = Object.keys(fractions);
  const f = names.map((n) => fractions[n] as number);
  if (names.length < 1 || f.some((x) => !(x > 0)))
    throw new DataError(`split fractions must be positive, got ${JSON.stringify(fractions)}`);
  const total = f.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-6)
    throw new DataError(`split fractions must sum to 1, got ${total} (${JSON.stringify(fractions)})`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)?.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const out: number[][] = names.map(() => []);
  const counts = names.map(() => classes.map(() => 0));
  classes.forEach((c, ci) => {
    const items = new Rng(deriveSeed(seed, c)).shuffle(byClass.get(c) as number[]) as number[];
    const n = items.length;
    const label = o.classNames?.[c] ?? String(c);
    if (n < names.length)
      throw new DataError(
        `class '${label}' has ${n} item(s), too few to appear in all ${names.length} splits (${names.join(", ")})`,
      );
    const k = allocate(n, f);
    // Every split gets at least one: take from the largest.
    for (let s = 0; s < k.length; s++)
      if (k[s] === 0) {
        const big = k.indexOf(Math.max(...k));
        k[big] = (k[big] as number) - 1;
        k[s] = 1;
      }
    let at = 0;
    k.forEach((m, s) => {
      out[s]?.push(...items.slice(at, at + m));
      (counts[s] as number[])[ci] = m;
      at += m;
    });
  });
  const rng = new Rng(deriveSeed(seed, 0x5eed));
  return { names, indices: out.map((a) => Int32Array.from(rng.shuffle(a) as number[])), counts, classes };
}

/** Integer counts summing to n in proportions f (largest remainder, ties to the earlier split). */
export function allocate(n: number, f: number[]): number[] {
  const total = f.reduce((a, b) => a + b, 0);
  const exact = f.map((x) => (n * x) / total);
  const k = exact.map(Math.floor);
  let left = n - k.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    k[i] = (k[i] as number) + 1;
  }
  return k;
}

/** A table of the split's class counts, one line per class. */
export function formatSplitCounts(s: StratifiedSplit, classNames?: readonly string[]): string {
  const head = ["class", ...s.names].join("\t");
  const rows = s.classes.map((c, ci) => [classNames?.[c] ?? String(c), ...s.counts.map((row) => row[ci])].join("\t"));
  const totals = ["total", ...s.indices.map((x) => x.length)].join("\t");
  return [head, ...rows, totals].join("\n");
}

/**
 * Class-balanced sampling for fine-tuning: n indices drawn with replacement so every class is
 * equally likely (weight 1/class count per item).
 */
export function balancedSample(labels: ArrayLike<number>, n: number, seed: number): Int32Array {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)?.push(i);
  }
  const groups = [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c) as number[]);
  if (groups.length === 0) throw new DataError("balanced sampling needs at least one labelled item");
  const rng = new Rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = groups[rng.int(0, groups.length)] as number[];
    out[i] = g[rng.int(0, g.length)] as number;
  }
  return out;
}

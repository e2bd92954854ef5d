// The seeded PRNG (DESIGN.md: one home, in src/torch/): shuffles, split draws, per-sample augmentation
// parameters, bootstrap resampling, the distributed sampler's order. Kept out of LibTorch's global
// generator so that data order and augmentation never depend on (or disturb) model initialisation, and
// so a seed gives the same result on CPU and CUDA. data/rng.ts re-exports it for the data layer.

/** splitmix32-style mixer (a 32-bit avalanche hash); also used to derive child seeds. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** mulberry32 (Tommy Ettinger): uniform [0, 1) draws from a 32-bit state; the core of every stream here. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A small, fast, seedable generator (mulberry32 core) with the draws the data layer needs. */
export class Rng {
  readonly next: () => number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    /** Uniform in [0, 1). */
    this.next = mulberry32(mix32(Math.trunc(seed) >>> 0));
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo) * this.next());
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A 32-bit seed for a child generator. */
  seed(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i] as T;
      a[i] = a[j] as T;
      a[j] = t as never;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p) as Int32Array;
  }

  /** k distinct items of a, in random order. */
  sample<T>(a: readonly T[], k: number): T[] {
    if (k > a.length) throw new RangeError(`cannot sample ${k} distinct items from ${a.length}`);
    return (this.shuffle(a.slice()) as T[]).slice(0, k);
  }
}

/** Derives a stable seed from a parent seed and any number of integer keys (e.g. epoch, rank). */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = mix32(seed >>> 0);
  for (const k of keys) h = mix32((h ^ (k >>> 0)) >>> 0);
  return h;
}

/**
 * A bare uniform [0, 1) stream: mulberry32 seeded with seed + 0x9e3779b9 (no mix32), the bias
 * study's synthetic people, splits and bootstrap resamples. Kept apart from Rng's seeding so those
 * streams, and the study results drawn from them, stay as they were.
 */
export const uniformStream = (seed: number): (() => number) => mulberry32((seed >>> 0) + 0x9e3779b9);

/** A stable 32-bit seed from strings and numbers (FNV-1a over "a|b|…"): one stream per cell, metric, view. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

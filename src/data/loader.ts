// The epoch loader: seeded shuffling (or class-balanced sampling), sharding by rank like PyTorch's
// DistributedSampler, and prefetching — the next batch's bytes are read (on libuv's pool for
// disk-backed caches) while the caller trains on the current one. Batches carry raw uint8 bytes;
// tensors are made by batch.images()/batch.labelTensor() inside the caller's tidy scope, so the
// caller's scope owns and frees them.
import { type Device, fromTypedArray, type Tensor, tidy } from "../torch/index.js";
import { toFloatImages } from "./augment/pipelines.js";
import { type ImageSet, labelsOf } from "./imageset.js";
import { deriveSeed, Rng } from "./rng.js";
import { balancedSample } from "./splits.js";

export interface LoaderOptions {
  batchSize: number;
  /** "shuffle" (default), "sequential", or "balanced" (class-balanced, with replacement) */
  order?: "shuffle" | "sequential" | "balanced";
  seed?: number;
  /** drop a last batch smaller than batchSize (default false) */
  dropLast?: boolean;
  rank?: number;
  worldSize?: number;
  /** restrict to these items of the set (e.g. one split) */
  indices?: Int32Array;
  /** labels per item (default: the items' `label`, if every item has one) */
  labels?: Int32Array;
}

export class Batch {
  constructor(
    /** item indices in the set */
    readonly indices: Int32Array,
    /** N×H×W×C uint8 */
    readonly pixels: Uint8Array,
    readonly shape: [number, number, number, number],
    readonly labels: Int32Array | undefined,
  ) {}

  get size(): number {
    return this.indices.length;
  }

  /** float (N,C,H,W) in [0,1] on device; the uint8 bytes cross to the device before conversion. */
  images(device: Device = "cpu"): Tensor {
    return tidy(() => toFloatImages(fromTypedArray(this.pixels, this.shape, { device })));
  }

  /** int64 labels on device. */
  labelTensor(device: Device = "cpu"): Tensor {
    if (!this.labels) throw new Error("this batch has no labels");
    return fromTypedArray(this.labels, [this.labels.length], { device }).long();
  }
}

export class Loader {
  readonly #set: ImageSet;
  readonly #o: Required<Pick<LoaderOptions, "batchSize" | "order" | "seed" | "dropLast" | "rank" | "worldSize">>;
  readonly #pool: Int32Array;
  readonly #labels: Int32Array | undefined;

  constructor(set: ImageSet, o: LoaderOptions) {
    const worldSize = o.worldSize ?? 1;
    const rank = o.rank ?? 0;
    if (!(Number.isInteger(o.batchSize) && o.batchSize > 0))
      throw new RangeError(`batchSize must be a positive integer, got ${o.batchSize}`);
    if (!(Number.isInteger(worldSize) && worldSize >= 1 && rank >= 0 && rank < worldSize))
      throw new RangeError(`rank ${rank} must be in [0, worldSize=${worldSize})`);
    this.#set = set;
    this.#o = {
      batchSize: o.batchSize,
      order: o.order ?? "shuffle",
      seed: o.seed ?? 0,
      dropLast: o.dropLast ?? false,
      rank,
      worldSize,
    };
    this.#pool = o.indices ?? Int32Array.from({ length: set.count }, (_, i) => i);
    const all = o.labels ?? (set.items.every((it) => it.label !== undefined) ? labelsOf(set) : undefined);
    this.#labels = all;
    if (this.#o.order === "balanced" && !all) throw new Error(`${set.name}: balanced order needs labels`);
  }

  /** This rank's item indices for an epoch, in order. */
  epochIndices(epoch: number): Int32Array {
    const { order, seed, rank, worldSize } = this.#o;
    const n = this.#pool.length;
    let idx: Int32Array;
    if (order === "sequential") idx = this.#pool.slice();
    else if (order === "shuffle") {
      // Same permutation on every rank (same seed and epoch), then each rank takes its stride.
      const perm = new Rng(deriveSeed(seed, epoch)).permutation(n);
      idx = perm.map((p) => this.#pool[p] as number);
    } else {
      const labels = Int32Array.from(this.#pool, (i) => this.#labels?.[i] as number);
      idx = balancedSample(labels, n, deriveSeed(seed, epoch)).map((p) => this.#pool[p] as number);
    }
    if (worldSize === 1) return idx;
    // DistributedSampler: pad by wrapping so every rank gets the same number of items.
    const per = Math.ceil(n / worldSize);
    const out = new Int32Array(per);
    for (let k = 0; k < per; k++) out[k] = idx[(rank + k * worldSize) % n] as number;
    return out;
  }

  /** Batches per epoch on this rank. */
  get length(): number {
    const per = this.#o.worldSize === 1 ? this.#pool.length : Math.ceil(this.#pool.length / this.#o.worldSize);
    return this.#o.dropLast ? Math.floor(per / this.#o.batchSize) : Math.ceil(per / this.#o.batchSize);
  }

  /** The batches of one epoch; the next batch is being read while the caller uses the current. */
  async *epoch(epoch = 0): AsyncGenerator<Batch> {
    const idx = this.epochIndices(epoch);
    const B = this.#o.batchSize;
    const nb = this.length;
    const shape = (k: number) =>
      [k, this.#set.height, this.#set.width, this.#set.channels] as [number, number, number, number];
    const load = (b: number) => {
      const ix = idx.subarray(b * B, Math.min(idx.length, (b + 1) * B));
      return this.#set
        .read(ix)
        .then(
          (px) =>
            new Batch(
              ix,
              px,
              shape(ix.length),
              this.#labels ? Int32Array.from(ix, (i) => this.#labels?.[i] as number) : undefined,
            ),
        );
    };
    let next = nb > 0 ? load(0) : undefined;
    try {
      for (let b = 0; b < nb; b++) {
        const cur = await (next as Promise<Batch>);
        next = b + 1 < nb ? load(b + 1) : undefined;
        yield cur;
      }
    } finally {
      // The caller may stop early: a prefetch still in flight must not become an unhandled rejection.
      next?.catch(() => {});
    }
  }
}

// Shards dataset indices over ranks like torch.utils.data.DistributedSampler: one seeded
// permutation per epoch shared by all ranks (same seed, same epoch → same order everywhere),
// padded by wrapping around so every rank gets the same number of samples (equal shards keep
// collectives in step), then rank r takes positions r, r+W, r+2W, ….

import { TorchError } from "../errors.js";
import { mulberry32 } from "../rng.js";
import { getRank, getWorldSize } from "./process-group.js";

export interface SamplerOptions {
  rank?: number;
  worldSize?: number;
  shuffle?: boolean;
  seed?: number;
  /** Drop the tail instead of padding (each rank gets floor(size / W) samples). */
  dropLast?: boolean;
}

export class DistributedSampler {
  readonly rank: number;
  readonly worldSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Samples this rank yields per epoch. */
  readonly numSamples: number;
  epoch = 0;

  constructor(
    readonly size: number,
    o: SamplerOptions = {},
  ) {
    this.rank = o.rank ?? getRank();
    this.worldSize = o.worldSize ?? getWorldSize();
    this.shuffle = o.shuffle ?? true;
    this.seed = o.seed ?? 0;
    this.dropLast = o.dropLast ?? false;
    if (!Number.isInteger(size) || size < 1)
      throw new TorchError(`DistributedSampler: size must be a positive integer, got ${size}`, "ValueError");
    if (!Number.isInteger(this.worldSize) || this.worldSize < 1)
      throw new TorchError(
        `DistributedSampler: worldSize must be a positive integer, got ${this.worldSize}`,
        "ValueError",
      );
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.worldSize)
      throw new TorchError(
        `DistributedSampler: rank must be in [0, ${this.worldSize}), got ${this.rank}`,
        "ValueError",
      );
    this.numSamples = this.dropLast ? Math.floor(size / this.worldSize) : Math.ceil(size / this.worldSize);
    if (this.numSamples === 0)
      throw new TorchError(
        `DistributedSampler: dropLast leaves nothing of ${size} samples for ${this.worldSize} ranks`,
        "ValueError",
      );
  }

  /** Selects the epoch's permutation (call before each epoch, as in PyTorch). */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** This rank's indices for the current epoch. */
  indices(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (this.shuffle) {
      const rand = mulberry32(this.seed * 1000003 + this.epoch);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
    }
    const total = this.numSamples * this.worldSize;
    const padded = order.slice(0, total);
    for (let i = 0; padded.length < total; i++) padded.push(order[i % order.length] as number);
    const mine: number[] = [];
    for (let i = this.rank; i < total; i += this.worldSize) mine.push(padded[i] as number);
    return mine;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}

// Shared pieces of the SimCLR method: image batches from a uint8 tensor, frozen feature extraction in
// eval mode (the linear-probe protocol: BN statistics must not move, Spijkervet/SimCLR#19, virtex#16),
// and seeded batch orders (plain or class-balanced) so that resume reproduces an uninterrupted run.
import type { Rng } from "../data/rng.js";
import type { Encoder } from "../models/heads.js";
import { moduleDevice, toDevice, toHost } from "../torch/device.js";
import { cat, fromTypedArray, keep, noGrad, type Tensor, tidy } from "../torch/index.js";

/** Images as a uint8 N×C×H×W tensor plus optional integer labels (one per image). */
export interface ImageTensorSet {
  images: Tensor;
  labels?: Int32Array;
  numClasses?: number;
  classNames?: readonly string[];
}

/** N×H×W×C uint8 bytes (what ImageSet.read returns) → a kept uint8 N×C×H×W tensor. */
export function nhwcToTensor(bytes: Uint8Array, n: number, h: number, w: number, c: number): Tensor {
  return keep(tidy(() => fromTypedArray(bytes, [n, h, w, c]).permute([0, 3, 1, 2]).contiguous()));
}

/** uint8 N×C×H×W → float in [0, 1]. SimCLR feeds [0,1] inputs without mean/std (google#12). */
export const toUnitFloat = (x: Tensor): Tensor => tidy(() => x.float().div(255));

/** Rows `idx` of a tensor. */
export function take(t: Tensor, idx: ArrayLike<number>): Tensor {
  return tidy(() => t.indexSelect(0, fromTypedArray(Int32Array.from(idx as ArrayLike<number>), [idx.length]).long()));
}

/** Labels as an int64 tensor. */
export const labelTensor = (labels: ArrayLike<number>): Tensor =>
  tidy(() => fromTypedArray(Int32Array.from(labels as ArrayLike<number>), [labels.length]).long());

/**
 * Features h of every image, in eval mode and without gradients, batch by batch. Each batch crosses
 * (as uint8) to the encoder's device and its features come back to the host, where the metric code
 * (kNN, probes) runs. The encoder's training flag is restored afterwards.
 */
export function extractFeatures(encoder: Encoder, images: Tensor, batchSize = 256, prep = toUnitFloat): Tensor {
  const wasTraining = encoder.training;
  const device = moduleDevice(encoder);
  encoder.eval();
  try {
    const n = images.shape[0]!;
    const parts: Tensor[] = [];
    for (let s = 0; s < n; s += batchSize) {
      parts.push(
        tidy(() =>
          noGrad(() => {
            const x = prep(toDevice(images.narrow(0, s, Math.min(batchSize, n - s)), device));
            return toHost(encoder.features(x));
          }),
        ),
      );
    }
    const out = cat(parts);
    for (const p of parts) p.dispose();
    return out;
  } finally {
    encoder.train(wasTraining);
  }
}

/** Batches of indices for one epoch: a seeded permutation cut into full batches (dropLast) or all. */
export function epochBatches(n: number, batchSize: number, rng: Rng, dropLast: boolean): Int32Array[] {
  const perm = rng.permutation(n);
  const out: Int32Array[] = [];
  for (let s = 0; s + (dropLast ? batchSize : 1) <= n; s += batchSize)
    out.push(perm.subarray(s, Math.min(n, s + batchSize)));
  return out;
}

/**
 * Class-balanced batches: each draw picks a class uniformly, then one of its samples, so every class
 * is seen equally often whatever the imbalance (an option for the seed's gender failure).
 */
export function balancedBatches(labels: Int32Array, batchSize: number, rng: Rng): Int32Array[] {
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    const l = byClass.get(y);
    if (l) l.push(i);
    else byClass.set(y, [i]);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const draw = new Int32Array(labels.length);
  for (let i = 0; i < draw.length; i++) {
    const members = byClass.get(classes[rng.int(0, classes.length)]!)!;
    draw[i] = members[rng.int(0, members.length)]!;
  }
  const out: Int32Array[] = [];
  for (let s = 0; s < draw.length; s += batchSize) out.push(draw.subarray(s, Math.min(draw.length, s + batchSize)));
  return out;
}

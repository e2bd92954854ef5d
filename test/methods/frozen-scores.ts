// The frozen-feature scores that the "pretraining beats random init" tests compare (SimCLR on colour
// stripes, BYOL on Fashion-MNIST): kNN (k 20, eval/knn.ts) and a seeded SGD linear probe
// (methods/supervised.ts) on the encoder's features of a labelled set, scored on held-out images.
// One home, so both tests score an encoder the same way before and after pretraining.
import { knnAccuracy } from "../../src/eval/knn.js";
import { extractFeatures, labelTensor, toUnitFloat } from "../../src/methods/features.js";
import { linearProbe } from "../../src/methods/supervised.js";
import type { Encoder } from "../../src/models/heads.js";
import { moduleDevice, toDevice } from "../../src/torch/device.js";
import { noGrad, type Tensor, tidy } from "../../src/torch/index.js";
import { BatchNormBase } from "../../src/torch/nn/index.js";

export interface LabelledImages {
  /** uint8 N×C×H×W */
  images: Tensor;
  labels: Int32Array;
}

export interface FrozenScores {
  knn: number;
  probe: number;
}

export interface FrozenScoreOptions {
  /**
   * uint8 N×C×H×W images on which every BatchNorm's running statistics are re-estimated before the
   * features are extracted (a cumulative average over train-mode passes without gradients, as
   * torch.optim.swa_utils.update_bn), and restored afterwards. An untrained encoder's statistics are
   * (0, 1), a trained one's come from augmented training batches: re-estimating both on the same clean
   * images scores the weights alone.
   */
  bnPool?: Tensor;
}

/** Runs `fn` with the encoder's BatchNorm statistics re-estimated on `images` (see FrozenScoreOptions). */
function withBnStatsOf<T>(enc: Encoder, images: Tensor, fn: () => Promise<T>): Promise<T> {
  const bns = enc.modules().filter((m): m is BatchNormBase => m instanceof BatchNormBase);
  // momentum null = cumulative average (torch's BatchNorm); the field is readonly for users, not here.
  const mutable = bns as unknown as { momentum: number | null }[];
  const momenta = bns.map((m) => m.momentum);
  const wasTraining = enc.training;
  const device = moduleDevice(enc);
  // One scope: the saved statistics and every temporary are released when it ends.
  return tidy(async () => {
    const saved = bns.map((m) => m.buffers(false).map((b) => b.clone()));
    try {
      for (const m of mutable) m.momentum = null;
      for (const m of bns) m.resetRunningStats();
      enc.train();
      const n = images.shape[0]!;
      for (let s = 0; s < n; s += 256)
        tidy(() =>
          noGrad(() => enc.features(toUnitFloat(toDevice(images.narrow(0, s, Math.min(256, n - s)), device)))),
        );
      enc.train(wasTraining);
      return await fn();
    } finally {
      enc.train(wasTraining);
      noGrad(() => {
        for (const [i, m] of bns.entries()) {
          mutable[i]!.momentum = momenta[i] ?? null;
          for (const [j, b] of m.buffers(false).entries()) b.copy_(saved[i]![j]!);
        }
      });
    }
  });
}

/** kNN and linear-probe accuracy on `heldOut` of a frozen encoder's features, fitted on `train`. */
export const frozenScores = (
  enc: Encoder,
  train: LabelledImages,
  heldOut: LabelledImages,
  numClasses: number,
  probe: { epochs: number; batchSize: number },
  o: FrozenScoreOptions = {},
): Promise<FrozenScores> => {
  const score = () =>
    tidy(async () => {
      const a = extractFeatures(enc, train.images);
      const b = extractFeatures(enc, heldOut.images);
      const knn = knnAccuracy(a, labelTensor(train.labels), b, heldOut.labels, { k: 20, numClasses });
      const fit = await linearProbe(a, train.labels, b, heldOut.labels, numClasses, {
        ...probe,
        lr: 0.05,
        weightDecay: 0,
        seed: 1,
        guards: false,
      });
      return { knn, probe: fit.final.accuracy };
    });
  return o.bnPool ? withBnStatsOf(enc, o.bnPool, score) : score();
};

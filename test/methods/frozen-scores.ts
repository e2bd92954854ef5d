// The frozen-feature scores that the "pretraining beats random init" tests compare (SimCLR on colour
// stripes, BYOL on Fashion-MNIST): kNN (k 20, eval/knn.ts) and a seeded SGD linear probe
// (methods/supervised.ts) on the encoder's features of a labelled set, scored on held-out images.
// One home, so both tests score an encoder the same way before and after pretraining.
import { knnAccuracy } from "../../src/eval/knn.js";
import { extractFeatures, labelTensor } from "../../src/methods/features.js";
import { linearProbe } from "../../src/methods/supervised.js";
import type { Encoder } from "../../src/models/heads.js";
import { type Tensor, tidy } from "../../src/torch/index.js";

export interface LabelledImages {
  /** uint8 N×C×H×W */
  images: Tensor;
  labels: Int32Array;
}

export interface FrozenScores {
  knn: number;
  probe: number;
}

/** kNN and linear-probe accuracy on `heldOut` of a frozen encoder's features, fitted on `train`. */
export const frozenScores = (
  enc: Encoder,
  train: LabelledImages,
  heldOut: LabelledImages,
  numClasses: number,
  probe: { epochs: number; batchSize: number },
): Promise<FrozenScores> =>
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

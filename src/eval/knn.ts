// Weighted kNN probe of a representation (Wu et al. 2018 "InstDisc", as used for SimCLR monitors
// by lightly's benchmarks: k = 200, cosine similarity, votes weighted by exp(sim/τ), τ = 0.1).
import { F, noGrad, type Tensor, TorchError, tidy, zeros } from "../torch/index.js";
import { type NumberArray, toLabels } from "./arrays.js";
import { accuracy } from "./classification.js";

export interface KnnOptions {
  /** Neighbours (default 200; capped at the number of training samples). */
  k?: number;
  /** Temperature of the vote weights exp(sim/τ) (default 0.1). */
  temperature?: number;
  /** Classes (default 1 + the largest training label). */
  numClasses?: number;
  /** Test rows per similarity block (bounds memory at batch × train size). */
  batchSize?: number;
}

/** Predicted class of each test feature row from its k most cosine-similar training features. */
export function knnPredict(
  trainFeatures: Tensor,
  trainLabels: Tensor,
  testFeatures: Tensor,
  o: KnnOptions = {},
): Int32Array {
  const tau = o.temperature ?? 0.1;
  const batch = o.batchSize ?? 256;
  const [n, d] = trainFeatures.shape;
  if (trainFeatures.ndim !== 2 || testFeatures.ndim !== 2 || testFeatures.shape[1] !== d)
    throw new TorchError(
      `knnPredict: train and test features must be (N,D) with the same D, got [${trainFeatures.shape}] and [${testFeatures.shape}]`,
      "ValueError",
    );
  if (trainLabels.shape.join() !== String(n))
    throw new TorchError(`knnPredict: trainLabels must have shape [${n}], got [${trainLabels.shape}]`, "ValueError");
  if (!(tau > 0)) throw new TorchError(`knnPredict: temperature must be > 0, got ${tau}`, "ValueError");
  const k = Math.min(o.k ?? 200, n as number);
  if (!(k >= 1)) throw new TorchError(`knnPredict: k must be ≥ 1 and the training set non-empty`, "ValueError");
  const m = testFeatures.shape[0] as number;
  const out = new Int32Array(m);
  tidy(() =>
    noGrad(() => {
      const labels = trainLabels.to({ dtype: "int64", device: trainFeatures.device });
      const classes = o.numClasses ?? labels.max().item() + 1;
      const bank = F.normalize(trainFeatures.detach().float(), 2, 1);
      const test = F.normalize(testFeatures.detach().float().to(trainFeatures.device), 2, 1);
      for (let start = 0; start < m; start += batch) {
        const rows = Math.min(batch, m - start);
        const pred = tidy(() => {
          const sim = test.narrow(0, start, rows).matmul(bank.t());
          const { values, indices } = sim.topk(k, 1);
          const neighbourLabels = labels
            .unsqueeze(0)
            .expand(rows, n as number)
            .gather(1, indices);
          const votes = zeros([rows, classes], { device: trainFeatures.device }).scatterAdd(
            1,
            neighbourLabels,
            values.div(tau).exp(),
          );
          return votes.argmax(1).toNumbers();
        });
        out.set(pred, start);
      }
    }),
  );
  return out;
}

/** Accuracy of knnPredict against the test labels. */
export function knnAccuracy(
  trainFeatures: Tensor,
  trainLabels: Tensor,
  testFeatures: Tensor,
  testLabels: NumberArray,
  o: KnnOptions = {},
): number {
  return accuracy(toLabels(testLabels), knnPredict(trainFeatures, trainLabels, testFeatures, o));
}

// The all-label kNN evaluation (evaluate.knn) and the choice of its k and τ on a held-out part of the
// training bank, never on the test set: the held-out rows are queries against the rest of the bank,
// every (k, τ) of the grid is scored from one top-k search, the best is kept and the test set is then
// scored once with the whole bank (as logistic.ts chooses its L2).
import { stratifiedSplit } from "../data/splits.js";
import { F, noGrad, type Tensor, tidy, zeros } from "../torch/index.js";
import { labelTensor, take } from "./features.js";

export interface KnnSetting {
  k: number;
  temperature: number;
}

/**
 * Predictions of weighted kNN (cosine similarity, votes exp(sim/τ), as eval/knn.ts knnPredict) for
 * every (k, τ) of a grid, from one similarity matrix and one top-max(k) search per query block.
 * Returns one Int32Array of predictions per setting, in the order of `settings`.
 */
export function knnPredictGrid(
  bank: Tensor,
  bankLabels: Int32Array,
  queries: Tensor,
  settings: readonly KnnSetting[],
  numClasses: number,
  batchSize = 256,
): Int32Array[] {
  const n = bank.shape[0]!;
  if (bank.ndim !== 2 || queries.ndim !== 2 || queries.shape[1] !== bank.shape[1])
    throw new RangeError(
      `knnPredictGrid: bank and queries must be (N,D) with the same D, got [${bank.shape}] and [${queries.shape}]`,
    );
  if (bankLabels.length !== n)
    throw new RangeError(`knnPredictGrid: ${bankLabels.length} bank labels for ${n} bank rows`);
  if (settings.length === 0) throw new RangeError("knnPredictGrid: no (k, τ) settings given");
  for (const s of settings)
    if (!(Number.isInteger(s.k) && s.k >= 1 && s.temperature > 0))
      throw new RangeError(`knnPredictGrid: k must be an integer ≥ 1 and τ > 0, got k ${s.k}, τ ${s.temperature}`);
  const m = queries.shape[0]!;
  const out = settings.map(() => new Int32Array(m));
  const kMax = Math.min(n, Math.max(...settings.map((s) => s.k)));
  tidy(() =>
    noGrad(() => {
      const labels = labelTensor(bankLabels);
      const b = F.normalize(bank.detach().float(), 2, 1);
      const q = F.normalize(queries.detach().float(), 2, 1);
      for (let start = 0; start < m; start += batchSize) {
        const rows = Math.min(batchSize, m - start);
        tidy(() => {
          const { values, indices } = q.narrow(0, start, rows).matmul(b.t()).topk(kMax, 1);
          const neighbours = labels.unsqueeze(0).expand(rows, n).gather(1, indices);
          settings.forEach((s, i) => {
            const k = Math.min(s.k, n);
            const votes = zeros([rows, numClasses]).scatterAdd(
              1,
              neighbours.narrow(1, 0, k),
              values.narrow(1, 0, k).div(s.temperature).exp(),
            );
            out[i]!.set(votes.argmax(1).toNumbers(), start);
          });
        });
      }
    }),
  );
  return out;
}

export interface KnnChoice extends KnnSetting {
  /** held-out accuracy of every setting, in grid order */
  heldOut: (KnnSetting & { accuracy: number })[];
}

/**
 * The (k, τ) of `ks` × `temperatures` with the best accuracy on a class-stratified `heldOut` fraction
 * of the training rows, queried against the remaining rows. Ties go to the earlier setting in grid
 * order (k outer, τ inner), so list the preferred value first.
 */
export function chooseKnn(
  features: Tensor,
  labels: Int32Array,
  grid: { ks: readonly number[]; temperatures: readonly number[] },
  o: { heldOut: number; numClasses: number; seed: number },
): KnnChoice {
  if (!(o.heldOut > 0 && o.heldOut < 1)) throw new RangeError(`chooseKnn: heldOut must be in (0, 1), got ${o.heldOut}`);
  const settings = grid.ks.flatMap((k) => grid.temperatures.map((temperature) => ({ k, temperature })));
  const [fitIdx, valIdx] = stratifiedSplit(labels, { fit: 1 - o.heldOut, val: o.heldOut }, o.seed).indices;
  const preds = tidy(() => {
    const bank = take(features, fitIdx!);
    const queries = take(features, valIdx!);
    const bankLabels = Int32Array.from(fitIdx!, (i) => labels[i]!);
    return knnPredictGrid(bank, bankLabels, queries, settings, o.numClasses);
  });
  const truth = Int32Array.from(valIdx!, (i) => labels[i]!);
  const heldOut = settings.map((s, i) => ({
    ...s,
    accuracy: preds[i]!.reduce((acc, p, j) => acc + (p === truth[j] ? 1 : 0), 0) / truth.length,
  }));
  const best = heldOut.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  return { k: best.k, temperature: best.temperature, heldOut };
}

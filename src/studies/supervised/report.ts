// What a `facelab train` run leaves for its findings page (src/report/findings/train.ts): test
// accuracy with a 95% bootstrap CI over test images, balanced accuracy, per-class recall with CIs,
// whether the recipe's bar was met, and the protocol in words.
import { balancedAccuracy, bootstrapCI, confusionMatrix, perClassRecall } from "../../eval/index.js";
import type { TrainConfig } from "./recipe.js";

/** Chart ids the findings page leads with (src/report/findings/train.ts TRAIN_CHART_IDS). */
export const TRAIN_CHART_IDS = { confusion: "confusion", loss: "training-loss" };

const meanOf = (correct: Uint8Array, idx: Int32Array) => {
  let s = 0;
  for (const i of idx) s += correct[i] as number;
  return idx.length ? s / idx.length : Number.NaN;
};

export function trainSummary(
  cfg: TrainConfig,
  final: { pred: number[]; truth: number[]; accuracy: number },
  classes: readonly string[],
  trainImages: number,
): Record<string, unknown> {
  const n = final.truth.length;
  const correct = Uint8Array.from(final.truth, (t, i) => +(t === final.pred[i]));
  const boot = { nBoot: 1000, seed: cfg.train.seed };
  const acc = bootstrapCI(n, (idx) => meanOf(correct, idx), boot);
  const recall = perClassRecall(confusionMatrix(final.truth, final.pred, classes.length));
  const perClass = classes.map((name, c) => {
    const mine = Int32Array.from(final.truth.flatMap((t, i) => (t === c ? [i] : [])));
    const own = Uint8Array.from(mine, (i) => correct[i] as number);
    const ci = bootstrapCI(own.length, (idx) => meanOf(own, idx), { ...boot, seed: boot.seed + c + 1 });
    return {
      class: name,
      n: own.length,
      recall: recall[c] ?? Number.NaN,
      ...(Number.isFinite(ci.lo) && { ci95: [ci.lo, ci.hi] }),
    };
  });
  const met = cfg.expect ? final.accuracy >= cfg.expect.minAccuracy : undefined;
  const { loss } = cfg;
  const lossParams = Object.entries(loss)
    .filter(([k]) => k !== "name")
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ");
  const t = cfg.train;
  return {
    kind: "train",
    name: cfg.name,
    dataset: cfg.data.dataset,
    loss: loss.name,
    epochs: t.epochs,
    testAccuracy: final.accuracy,
    ...(Number.isFinite(acc.lo) && { testAccuracyCI95: [acc.lo, acc.hi] }),
    balancedAccuracy: balancedAccuracy(final.truth, final.pred, classes.length),
    testImages: n,
    trainImages,
    perClass,
    ...(cfg.expect && { expected: cfg.expect, metExpectation: met }),
    protocol: {
      data: `${cfg.data.dataset}${cfg.data.trainLimit ? `, first ${cfg.data.trainLimit} training images` : ""}; ${trainImages} training / ${n} test images; ${classes.length} classes`,
      model: `${cfg.model.backbone} (width ${cfg.model.width}${cfg.model.cifarStem ? ", CIFAR stem" : ""}), ${cfg.model.embeddingDim}-d embedding`,
      "loss head": `${loss.name}${lossParams ? ` (${lossParams})` : ""}`,
      optimisation: `${t.epochs} epochs, batch ${t.batchSize}, SGD lr ${t.lr} (warmup ${t.warmupEpochs} epochs), momentum ${t.momentum}, weight decay ${t.weightDecay}, augmentation ${t.augment ? "random resized crop + flip" : "off"}, seed ${t.seed}`,
      evaluation:
        "top-1 on the held-out test images after the last epoch; 95% percentile bootstrap CIs (1000 draws over test images; per class within the class)",
    },
  };
}

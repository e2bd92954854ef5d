// Closed-set classification metrics over integer labels and predictions.
import { TorchError } from "../torch/index.js";
import { checkSameLength, type NumberArray, toLabels } from "./arrays.js";

export function accuracy(yTrue: NumberArray, yPred: NumberArray): number {
  const t = toLabels(yTrue, "yTrue");
  const p = toLabels(yPred, "yPred");
  checkSameLength("accuracy", t, p, "yTrue", "yPred");
  if (t.length === 0) return Number.NaN;
  let hit = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) hit++;
  return hit / t.length;
}

/** counts[true][predicted]; numClasses defaults to 1 + the largest label seen. */
export function confusionMatrix(yTrue: NumberArray, yPred: NumberArray, numClasses?: number): number[][] {
  const t = toLabels(yTrue, "yTrue");
  const p = toLabels(yPred, "yPred");
  checkSameLength("confusionMatrix", t, p, "yTrue", "yPred");
  let c = numClasses ?? 0;
  if (numClasses === undefined)
    for (let i = 0; i < t.length; i++) c = Math.max(c, (t[i] as number) + 1, (p[i] as number) + 1);
  const cm = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let i = 0; i < t.length; i++) {
    const a = t[i] as number;
    const b = p[i] as number;
    if (a < 0 || a >= c || b < 0 || b >= c)
      throw new TorchError(
        `confusionMatrix: entry ${i} (true ${a}, predicted ${b}) is outside [0, ${c})`,
        "ValueError",
      );
    (cm[a] as number[])[b] = ((cm[a] as number[])[b] as number) + 1;
  }
  return cm;
}

/** Recall of each class (diagonal / row sum); NaN for a class with no true samples. */
export function perClassRecall(cm: number[][]): number[] {
  return cm.map((row, i) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? Number.NaN : (row[i] as number) / n;
  });
}

/** Precision of each class (diagonal / column sum); NaN for a class never predicted. */
export function perClassPrecision(cm: number[][]): number[] {
  return cm.map((_, j) => {
    let col = 0;
    for (const row of cm) col += row[j] as number;
    return col === 0 ? Number.NaN : ((cm[j] as number[])[j] as number) / col;
  });
}

/** Mean recall over the classes present in yTrue (sklearn's balanced_accuracy_score). */
export function balancedAccuracy(yTrue: NumberArray, yPred: NumberArray, numClasses?: number): number {
  const recalls = perClassRecall(confusionMatrix(yTrue, yPred, numClasses)).filter((r) => !Number.isNaN(r));
  return recalls.length === 0 ? Number.NaN : recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

/**
 * The prediction-collapse thresholds, in one place: the share of all predictions one class may take
 * before an evaluation flags it (`flag`), and before a training guard stops the run (`stop`, stricter so
 * a legitimately skewed early epoch does not end a fine-tune; methods/guards.ts).
 */
export const PREDICTION_COLLAPSE = { flag: 0.9, stop: 0.98 } as const;

export interface CollapseReport {
  /** True when one class takes more than `threshold` of all predictions. */
  collapsed: boolean;
  dominantClass: number;
  /** Share of predictions going to the dominant class. */
  fraction: number;
  /** Share of predictions per class (length numClasses). */
  distribution: number[];
  message: string;
}

/**
 * Detects predictions collapsing onto one class (the seed's gender fine-tune predicted one
 * class for everything): collapsed when a class gets more than `threshold` of the predictions.
 * Pass the true class shares as `expected` to skip the alarm when the data really is that skewed.
 */
export function predictionCollapse(
  yPred: NumberArray,
  o: { numClasses?: number; threshold?: number; expected?: number[] } = {},
): CollapseReport {
  const p = toLabels(yPred, "yPred");
  const threshold = o.threshold ?? PREDICTION_COLLAPSE.flag;
  if (!(threshold > 0 && threshold <= 1))
    throw new TorchError(`predictionCollapse: threshold must be in (0, 1], got ${threshold}`, "ValueError");
  let c = o.numClasses ?? 0;
  if (o.numClasses === undefined) for (const v of p) c = Math.max(c, v + 1);
  const counts = new Array<number>(c).fill(0);
  for (const v of p) counts[v] = (counts[v] as number) + 1;
  const distribution = counts.map((n) => (p.length === 0 ? 0 : n / p.length));
  let dominantClass = 0;
  distribution.forEach((f, k) => {
    if (f > (distribution[dominantClass] as number)) dominantClass = k;
  });
  const fraction = distribution[dominantClass] ?? 0;
  const truth = o.expected?.[dominantClass];
  const collapsed = p.length > 0 && fraction > threshold && !(truth !== undefined && truth > threshold);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const message = collapsed
    ? `predictions collapsed: class ${dominantClass} gets ${pct(fraction)} of ${p.length} predictions (threshold ${pct(threshold)}); ` +
      "check that the head is in the optimizer, the learning rate after the schedule, finite gradients, and class balance"
    : `no collapse: the most predicted class ${dominantClass} gets ${pct(fraction)}`;
  return { collapsed, dominantClass, fraction, distribution, message };
}

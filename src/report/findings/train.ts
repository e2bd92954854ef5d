// The findings page of a supervised / recognition run (`facelab train`), from its summary.json:
// test accuracy with its bootstrap CI, per-class recall with CIs, the confusion matrix and the curves,
// and the protocol (data, model, loss head, optimisation, evaluation).
import { formatNum } from "../format.js";
import type { Cell, PageInput } from "../page.js";

export interface TrainSummary {
  kind: "train";
  name: string;
  dataset: string;
  loss: string;
  testAccuracy: number;
  testAccuracyCI95?: [number, number];
  balancedAccuracy?: number;
  testImages?: number;
  trainImages?: number;
  perClass?: { class: string; n: number; recall: number; ci95?: [number, number] }[];
  expected?: { minAccuracy: number; source?: string };
  metExpectation?: boolean;
  epochs?: number;
  protocol?: Record<string, string>;
}

export const TRAIN_CHART_IDS = { confusion: "confusion", loss: "training-loss", accuracy: "accuracy" };

export function trainPage(s: TrainSummary): PageInput {
  const acc = { value: s.testAccuracy, unit: "pct" as const, ...(s.testAccuracyCI95 && { ci: s.testAccuracyCI95 }) };
  const findings = [
    `${s.loss} on ${s.dataset}: test accuracy ${formatNum(acc, "%")}${s.testAccuracyCI95 ? " (95% bootstrap CI over test images)" : ""}` +
      (s.testImages ? ` on ${s.testImages} test images` : "") +
      (s.epochs ? ` after ${s.epochs} epochs` : "") +
      ".",
  ];
  if (s.expected)
    findings.push(
      `${s.metExpectation ? "Meets" : "Falls short of"} the recipe's bar of ${formatNum({ value: s.expected.minAccuracy, unit: "pct" }, "%")}${s.expected.source ? ` (${s.expected.source})` : ""}.`,
    );
  const worst = [...(s.perClass ?? [])].sort((a, b) => a.recall - b.recall)[0];
  const best = [...(s.perClass ?? [])].sort((a, b) => b.recall - a.recall)[0];
  if (worst && best && worst !== best)
    findings.push(
      `Per class, recall ranges from ${formatNum({ value: worst.recall, unit: "pct", ...(worst.ci95 && { ci: worst.ci95 }) }, "%")} (${worst.class}) to ${formatNum({ value: best.recall, unit: "pct", ...(best.ci95 && { ci: best.ci95 }) }, "%")} (${best.class}).`,
    );
  return {
    kind: "train",
    findings,
    tables: [
      {
        id: "headline",
        title: "Test accuracy (95% bootstrap CI over test images)",
        role: "headline",
        columns: [
          { label: "dataset" },
          { label: "loss" },
          { label: "test images" },
          { label: "accuracy", unit: "%" },
          { label: "balanced accuracy", unit: "%" },
          ...(s.expected ? [{ label: "recipe bar", unit: "%" }, { label: "met" }] : []),
        ],
        rows: [
          [
            s.dataset,
            s.loss,
            s.testImages ?? null,
            acc,
            s.balancedAccuracy === undefined ? null : { value: s.balancedAccuracy, unit: "pct" },
            ...(s.expected
              ? ([{ value: s.expected.minAccuracy, unit: "pct" }, s.metExpectation ? "yes" : "no"] as Cell[])
              : []),
          ],
        ],
      },
      ...(s.perClass?.length
        ? [
            {
              id: "per-class",
              title: "Per-class recall on the test set (95% bootstrap CI)",
              role: "frame" as const,
              columns: [{ label: "class" }, { label: "test images" }, { label: "recall", unit: "%" }],
              rows: s.perClass.map((c): Cell[] => [
                c.class,
                c.n,
                { value: c.recall, unit: "pct", ...(c.ci95 && { ci: c.ci95 }) },
              ]),
            },
          ]
        : []),
    ],
    leadCharts: [[TRAIN_CHART_IDS.confusion, TRAIN_CHART_IDS.accuracy]],
    protocol: Object.entries(s.protocol ?? {}).map(([term, detail]) => ({ term, detail })),
  };
}

// A fixed findings page (the shape a bias study writes) for the golden Markdown/LaTeX exports and the
// HTML page tests. Every number is written out here, so the golden files can be checked by eye.
import type { PageInput } from "../../src/report/page.js";

export const FIXED_PAGE: PageInput = {
  kind: "bias-study",
  findings: [
    'Primary: for softmax, the accuracy gap of "female" shrinks by 4.1 points per 10 points of training share [2.2, 6.0], Holm-adjusted p = 0.006 — found.',
    'Largest gap: ring at split 10/90, accuracy of "female" minus the rest = −12.3 points [−15.0, −9.6], q = 0.002.',
    "The planted effect (group female, strength 0.5) was found in the primary family.",
  ],
  tables: [
    {
      id: "headline",
      title: "Primary claims: trend of the accuracy gap with training share",
      role: "headline",
      columns: [
        { label: "loss" },
        { label: "slope", unit: "pp per 10 pp share" },
        { label: "p" },
        { label: "Holm p" },
        { label: "verdict" },
      ],
      rows: [
        [
          "softmax",
          { value: 0.041, unit: "pp", ci: [0.022, 0.06] },
          { value: 0.002, unit: "p" },
          { value: 0.006, unit: "p" },
          "found",
        ],
        [
          "ring",
          { value: -0.003, unit: "pp", ci: [-0.021, 0.014] },
          { value: 0.71, unit: "p" },
          { value: 0.71, unit: "p" },
          "not found",
        ],
        [
          "a-softmax",
          { value: 0.012, unit: "pp", ci: [-0.004, 0.029] },
          { value: 0.14, unit: "p" },
          { value: 0.28, unit: "p" },
          "not found",
        ],
      ],
    },
    {
      id: "metric-frame",
      title: "Metric frame: accuracy by group (95% CI)",
      role: "frame",
      columns: [
        { label: "split" },
        { label: "loss" },
        { label: "female", unit: "%" },
        { label: "male", unit: "%" },
        { label: "difference", unit: "pp" },
        { label: "ratio" },
      ],
      rows: [
        [
          "50/50",
          "softmax",
          { value: 0.853, unit: "pct", ci: [0.821, 0.884] },
          { value: 0.861, unit: "pct", ci: [0.83, 0.89] },
          { value: -0.008, unit: "pp", ci: [-0.05, 0.034] },
          { value: 0.991, unit: "num", ci: [0.943, 1.04] },
        ],
        [
          "10/90",
          "softmax",
          { value: 0.712, unit: "pct", ci: [0.671, 0.75] },
          { value: 0.874, unit: "pct", ci: [0.845, 0.9] },
          { value: -0.162, unit: "pp", ci: [-0.21, -0.115] },
          { value: 0.815, unit: "num", ci: [0.764, 0.866] },
        ],
        ["10/90", "ring", { value: null, unit: "pct" }, { value: 0.88, unit: "pct", ci: [0.851, 0.906] }, null, null],
      ],
      notes: ["— : fewer than 30 test images of the group (minimum sample size); not compared."],
    },
    {
      id: "detail",
      title: "Not exported: a detail table",
      role: "detail",
      columns: [{ label: "what" }],
      rows: [["only in HTML"]],
    },
  ],
  warnings: ['group "female" in split 10/90 has 12 test images (< 30): flagged, not compared'],
  claims: [
    {
      family: "primary",
      kind: "trend",
      metric: "accuracy",
      split: "all",
      loss: "softmax",
      group: "female",
      estimate: { value: 0.41, unit: "num", ci: [0.22, 0.6] },
      p: 0.002,
      adjusted: 0.006,
      verdict: "found",
    },
    {
      family: "secondary",
      kind: "gap",
      metric: "accuracy",
      split: "10/90",
      loss: "ring",
      group: "female",
      estimate: { value: -0.123, unit: "pp", ci: [-0.15, -0.096] },
      p: 0.0004,
      adjusted: 0.002,
      verdict: "difference (q ≤ 0.05)",
    },
  ],
  protocol: [
    { term: "confidence intervals", detail: "95% two-stage bootstrap (seeds, then test images), 1000 draws" },
    { term: "primary family", detail: "analysis.primary = accuracy-gap trend per loss; Holm-adjusted" },
  ],
};

// report.json chart descriptors → rendered items. The contract is documented in README.md; each kind's
// data is validated here so a malformed chart names its index, kind, title and the bad field.
import { z } from "zod";
import {
  classDistribution,
  confidenceHistogram,
  confusionMatrix,
  reliabilityDiagram,
} from "./charts/classification.js";
import type { VlSpec } from "./charts/common.js";
import { accuracyCurve, lineChart, lossCurves } from "./charts/curves.js";
import { gapVsImbalance, groupBars } from "./charts/fairness.js";
import { detCurve, identifiedRate, rocCurve } from "./charts/verification.js";

const num = z.number();
const str = z.string();
const points = z.array(z.object({ x: num, y: num, series: str }));

const common = {
  title: z.string().min(1),
  subtitle: z.string().optional(),
  xTitle: z.string().optional(),
  yTitle: z.string().optional(),
  /** File stem for the SVG/PNG; defaults to a slug of the title. */
  id: z
    .string()
    .regex(/^[\w.-]+$/)
    .optional(),
};

export const descriptorSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("loss"), data: points, logY: z.boolean().optional(), ...common }),
  z.object({ kind: z.literal("accuracy"), data: points, ...common }),
  z.object({
    kind: z.literal("lines"),
    data: points,
    logY: z.boolean().optional(),
    percentY: z.boolean().optional(),
    ...common,
  }),
  z.object({
    kind: z.literal("confusion"),
    data: z.object({ classes: z.array(str).min(1), matrix: z.array(z.array(num.nonnegative())) }),
    ...common,
  }),
  z.object({
    kind: z.literal("distribution"),
    data: z.array(z.object({ label: str, count: num, split: str.optional() })),
    ...common,
  }),
  z.object({
    kind: z.literal("group-bars"),
    data: z.array(z.object({ group: str, value: num, lo: num.optional(), hi: num.optional(), series: str.optional() })),
    percent: z.boolean().optional(),
    ...common,
  }),
  z.object({
    kind: z.literal("confidence-hist"),
    data: z.record(str, z.array(num)),
    bins: z.number().int().positive().optional(),
    ...common,
  }),
  z.object({
    kind: z.literal("identified-rate"),
    data: z.array(z.object({ threshold: num, rate: num, split: str })),
    ...common,
  }),
  z.object({
    kind: z.literal("roc"),
    data: z.array(z.object({ fpr: num, tpr: num, group: str })),
    logX: z.boolean().optional(),
    ...common,
  }),
  z.object({ kind: z.literal("det"), data: z.array(z.object({ fmr: num, fnmr: num, group: str })), ...common }),
  z.object({
    kind: z.literal("reliability"),
    data: z.object({
      bins: z.array(z.object({ confidence: num, accuracy: num, count: num, lo: num.optional(), hi: num.optional() })),
      ece: num.optional(),
    }),
    ...common,
  }),
  z.object({
    kind: z.literal("gap-imbalance"),
    data: z.array(z.object({ imbalance: num, gap: num, lo: num.optional(), hi: num.optional(), series: str })),
    ...common,
  }),
  z.object({
    kind: z.literal("image"),
    data: z.union([z.object({ file: str }), z.object({ pngBase64: str })]),
    ...common,
  }),
  z.object({
    kind: z.literal("table"),
    data: z.object({ columns: z.array(str), rows: z.array(z.array(z.union([str, num, z.null()]))) }),
    ...common,
  }),
  z.object({ kind: z.literal("vega-lite"), data: z.record(str, z.unknown()), ...common }),
]);

export type Descriptor = z.infer<typeof descriptorSchema>;

export type Item =
  | { type: "chart"; id: string; title: string; spec: VlSpec }
  | { type: "image"; id: string; title: string; file?: string; pngBase64?: string }
  | { type: "table"; id: string; title: string; columns: string[]; rows: (string | number | null)[][] };

export const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60) || "chart";

/** Validates one raw descriptor; the error message says which chart and which field. */
export function parseDescriptor(raw: unknown, index: number): Descriptor {
  const r = descriptorSchema.safeParse(raw);
  if (r.success) return r.data;
  const o = (raw ?? {}) as { kind?: unknown; title?: unknown };
  const where = `report.json chart ${index} (kind ${JSON.stringify(o.kind)}, title ${JSON.stringify(o.title)})`;
  const issue = r.error.issues[0]!;
  throw new Error(`${where}: ${issue.path.join(".") || "(chart)"}: ${issue.message}`);
}

/** Turns a validated descriptor into a spec (or an image / table item). */
export function toItem(d: Descriptor): Item {
  const id = d.id ?? slug(d.title);
  const o = { title: d.title, subtitle: d.subtitle, xTitle: d.xTitle, yTitle: d.yTitle };
  const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { title: string };
  const c = (spec: VlSpec): Item => ({ type: "chart", id, title: d.title, spec });
  switch (d.kind) {
    case "loss":
      return c(lossCurves(d.data, { ...opts, ...(d.logY !== undefined && { logY: d.logY }) }));
    case "accuracy":
      return c(accuracyCurve(d.data, opts));
    case "lines":
      return c(lineChart(d.data, { ...opts, logY: d.logY, percentY: d.percentY }));
    case "confusion":
      return c(confusionMatrix(d.data.classes, d.data.matrix, opts));
    case "distribution":
      return c(classDistribution(d.data, opts));
    case "group-bars":
      return c(groupBars(d.data, { ...opts, ...(d.percent !== undefined && { percent: d.percent }) }));
    case "confidence-hist":
      return c(confidenceHistogram(d.data, { ...opts, ...(d.bins !== undefined && { bins: d.bins }) }));
    case "identified-rate":
      return c(identifiedRate(d.data, opts));
    case "roc":
      return c(rocCurve(d.data, { ...opts, ...(d.logX !== undefined && { logX: d.logX }) }));
    case "det":
      return c(detCurve(d.data, opts));
    case "reliability":
      return c(reliabilityDiagram(d.data.bins, { ...opts, ...(d.data.ece !== undefined && { ece: d.data.ece }) }));
    case "gap-imbalance":
      return c(gapVsImbalance(d.data, opts));
    case "image":
      return { type: "image", id, title: d.title, ...d.data };
    case "table":
      return { type: "table", id, title: d.title, columns: d.data.columns, rows: d.data.rows };
    case "vega-lite":
      return c({ title: d.title, ...d.data });
  }
}

// findings.json: what a run or study found, as a typed page model that every report format renders
// (HTML report, dashboard, Markdown, LaTeX). Studies write it next to summary.json; the report never
// guesses meaning from summary keys. Contract in README.md ("Findings first").
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const unit = z.enum(["pct", "pp", "num", "int", "p"]);
const num = z.strictObject({
  value: z.number().nullable(),
  unit,
  ci: z.tuple([z.number(), z.number()]).optional(),
});
export const cellSchema = z.union([z.string(), z.number(), z.null(), num]);

export const pageTableSchema = z.strictObject({
  id: z.string().regex(/^[\w.-]+$/),
  title: z.string().min(1),
  /** headline: first on the page and in every export; frame: the metric frame (exported too); detail: the rest. */
  role: z.enum(["headline", "frame", "detail"]).default("detail"),
  columns: z.array(z.strictObject({ label: z.string(), unit: z.string().optional() })).min(1),
  rows: z.array(z.array(cellSchema)),
  notes: z.array(z.string()).default([]),
});

export const claimSchema = z.strictObject({
  family: z.enum(["primary", "secondary"]),
  kind: z.string(),
  metric: z.string(),
  split: z.string(),
  loss: z.string(),
  group: z.string(),
  estimate: num,
  /** Unadjusted two-sided p. */
  p: z.number().nullable(),
  /** Holm-adjusted p (primary) or Benjamini–Hochberg q (secondary). */
  adjusted: z.number().nullable(),
  verdict: z.string(),
});

export const pageSchema = z.strictObject({
  /** What produced it: "simclr", "train", "bias-study", … */
  kind: z.string(),
  /** Sentences, each with its numbers: estimate, CI and adjusted p or q where there is one. */
  findings: z.array(z.string()).default([]),
  tables: z.array(pageTableSchema).default([]),
  /** Rows of chart ids (report.json `id`s or slugs of titles) shown right after the headline; one row side by side. */
  leadCharts: z.array(z.array(z.string())).default([]),
  /** Guard warnings and flags (collapse, lost class, groups below the minimum sample size …). */
  warnings: z.array(z.string()).default([]),
  claims: z.array(claimSchema).default([]),
  /** How each number was produced: evaluation settings, counts, thresholds. */
  protocol: z.array(z.strictObject({ term: z.string(), detail: z.string() })).default([]),
});

export type Cell = z.infer<typeof cellSchema>;
export type PageTable = z.input<typeof pageTableSchema>;
export type Claim = z.infer<typeof claimSchema>;
export type Page = z.output<typeof pageSchema>;
export type PageInput = z.input<typeof pageSchema>;

export const FINDINGS_FILE = "findings.json";

/** Validates a page; the error names the field. */
export function parsePage(raw: unknown, where = FINDINGS_FILE): Page {
  const r = pageSchema.safeParse(raw);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new Error(`${where}: ${i.path.join(".") || "(page)"}: ${i.message}`);
}

/** The run directory's findings page, or undefined when it has none. */
export function readPage(dir: string): Page | undefined {
  const path = join(dir, FINDINGS_FILE);
  if (!existsSync(path)) return undefined;
  return parsePage(JSON.parse(readFileSync(path, "utf8")), path);
}

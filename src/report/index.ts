// facelab/report: charts from Vega-Lite specs, and the self-contained HTML report of a run or study.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { collectReport, type ReportModel } from "./collect.js";
import { parseDescriptor, toItem } from "./descriptors.js";
import { pageLatex, pageMarkdown } from "./export.js";
import { reportHtml } from "./html.js";
import { specToSvg, svgToPng } from "./render.js";

export * from "./charts/classification.js";
export type { ChartOptions, VlSpec } from "./charts/common.js";
export * from "./charts/curves.js";
export * from "./charts/fairness.js";
export * from "./charts/verification.js";
export { collectReport, metricCharts, type ReportModel, type Section } from "./collect.js";
export { type Descriptor, descriptorSchema, type Item, parseDescriptor, toItem } from "./descriptors.js";
export { pageLatex, pageMarkdown, texEscape } from "./export.js";
export { formatNum, formatValue, humanize, type Num, type Unit } from "./format.js";
export {
  type Cell,
  type Claim,
  FINDINGS_FILE,
  type Page,
  type PageInput,
  type PageTable,
  pageSchema,
  parsePage,
  readPage,
} from "./page.js";
export { claimsHtml, findingsHtml, pageTableHtml } from "./page-html.js";
export { specToSvg, svgToPng } from "./render.js";

/**
 * A chart descriptor (the report.json contract) as PNG bytes, e.g. a confusion matrix for TensorBoard:
 * `run.image("confusion/test", await chartPng({ kind: "confusion", title, data }), { step })`.
 */
export async function chartPng(descriptor: unknown): Promise<Buffer> {
  const item = toItem(parseDescriptor(descriptor, 0));
  if (item.type !== "chart") throw new Error(`chartPng: kind "${item.type}" is not a chart`);
  return svgToPng(await specToSvg(item.spec));
}

/** Renders every chart of the model to SVG, keyed `<section prefix><chart id>`. */
export async function renderSvgs(model: ReportModel): Promise<Map<string, string>> {
  const svgs = new Map<string, string>();
  for (const s of model.sections) {
    for (const it of s.items) {
      if (it.type !== "chart") continue;
      try {
        svgs.set(`${s.prefix}${it.id}`, await specToSvg(it.spec));
      } catch (e) {
        s.problems.push(`chart "${it.title}" failed to render: ${(e as Error).message}`);
      }
    }
  }
  return svgs;
}

/** The report page as a string, without writing anything (the dashboard uses this). */
export async function reportPage(dir: string): Promise<string> {
  const model = collectReport(dir);
  return reportHtml(model, await renderSvgs(model));
}

export interface WrittenReport {
  html: string;
  files: string[];
  problems: string[];
}

/** Writes `<outDir>/report.html` and `<outDir>/report/<chart>.svg|.png` (outDir defaults to the run dir). */
export async function writeReport(dir: string, opts: { outDir?: string; png?: boolean } = {}): Promise<WrittenReport> {
  const outDir = opts.outDir ?? dir;
  const model = collectReport(dir);
  const svgs = await renderSvgs(model);
  const figDir = join(outDir, "report");
  mkdirSync(figDir, { recursive: true });
  const files: string[] = [];
  for (const [name, svg] of svgs) {
    const svgPath = join(figDir, `${name}.svg`);
    writeFileSync(svgPath, svg);
    files.push(svgPath);
    if (opts.png ?? true) {
      const pngPath = join(figDir, `${name}.png`);
      writeFileSync(pngPath, await svgToPng(svg));
      files.push(pngPath);
    }
  }
  const html = join(outDir, "report.html");
  writeFileSync(html, reportHtml(model, svgs));
  return { html, files, problems: model.sections.flatMap((s) => s.problems) };
}

export type ReportFormat = "html" | "md" | "tex";

/**
 * The findings of a run or study as Markdown or LaTeX (`report.md` / `report.tex` in outDir): the
 * top directory's findings.json, else each child run's in turn. Throws when none has findings.
 */
export function writeExport(dir: string, format: "md" | "tex", opts: { outDir?: string } = {}): string {
  const model = collectReport(dir);
  const pages = model.sections.flatMap((s) =>
    s.page ? [{ title: `${s.entry.kind === "study" ? "Study" : "Run"} ${s.entry.name}`, page: s.page }] : [],
  );
  const problems = model.sections.flatMap((s) => s.problems);
  if (pages.length === 0)
    throw new Error(
      `${dir} has no findings.json${problems.length ? ` (${problems.join("; ")})` : ""}: --format ${format} exports the findings a run or study writes; --format html still works`,
    );
  const chosen = model.sections[0]?.page ? pages.slice(0, 1) : pages;
  const text = chosen
    .map((p) => (format === "md" ? pageMarkdown(p.title, p.page) : pageLatex(p.title, p.page)))
    .join("\n");
  const path = join(opts.outDir ?? dir, `report.${format}`);
  mkdirSync(opts.outDir ?? dir, { recursive: true });
  writeFileSync(path, text);
  return path;
}

// Reads a run or study directory into report sections: charts derived from metrics.jsonl, the charts
// the training code listed in report.json, summary numbers, config and environment. Reads only.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MetricRecord } from "../runs/run.js";
import { type RunEntry, readMetrics, readRun } from "../runs/scan.js";
import type { Point } from "./charts/curves.js";
import { accuracyCurve, lineChart, lossCurves } from "./charts/curves.js";
import { type Item, parseDescriptor, slug, toItem } from "./descriptors.js";
import { pageFromSummary } from "./findings/index.js";
import { type Page, readPage } from "./page.js";

export interface Section {
  /** Prefix for file names ("" for the top directory). */
  prefix: string;
  entry: RunEntry;
  items: Item[];
  summary: Record<string, unknown> | undefined;
  /** findings.json: what the run found (undefined: the report shows the summary's numbers instead). */
  page: Page | undefined;
  config: string | undefined;
  env: Record<string, unknown> | undefined;
  problems: string[];
}

export interface ReportModel {
  dir: string;
  title: string;
  sections: Section[];
}

const MAX_POINTS = 1500;

/** Keeps at most MAX_POINTS per series (every k-th point, always the last) so SVGs stay small. */
function thin(points: Point[]): Point[] {
  const bySeries = new Map<string, Point[]>();
  for (const p of points) bySeries.set(p.series, [...(bySeries.get(p.series) ?? []), p]);
  return [...bySeries.values()].flatMap((ps) => {
    const k = Math.ceil(ps.length / MAX_POINTS);
    return k <= 1 ? ps : ps.filter((_, i) => i % k === 0 || i === ps.length - 1);
  });
}

/** Charts every run gets from its metrics: losses per step, accuracies per epoch, then each other tag. */
export function metricCharts(records: MetricRecord[]): Item[] {
  const items: Item[] = [];
  const tags = [...new Set(records.map((r) => r.tag))];
  const isLoss = (t: string): boolean => /loss/i.test(t);
  const isAcc = (t: string): boolean => /acc/i.test(t) && !isLoss(t);
  const pts = (pred: (t: string) => boolean, x: (r: MetricRecord) => number | undefined): Point[] =>
    thin(
      records
        .filter((r) => pred(r.tag))
        .map((r) => ({ x: x(r) ?? Number.NaN, y: r.value, series: r.tag }))
        .filter((p) => Number.isFinite(p.x)),
    );
  if (tags.some(isLoss)) {
    items.push({ type: "chart", id: "loss", title: "Training loss", spec: lossCurves(pts(isLoss, (r) => r.step)) });
  }
  if (tags.some(isAcc)) {
    const byEpoch = records.filter((r) => isAcc(r.tag)).every((r) => r.epoch !== undefined);
    const spec = accuracyCurve(
      pts(isAcc, (r) => (byEpoch ? r.epoch : r.step)),
      byEpoch ? {} : { xTitle: "step (batches)" },
    );
    items.push({ type: "chart", id: "accuracy", title: "Validation accuracy", spec });
  }
  // eval/… tags are evaluation phases (fine-tuning runs inside a SimCLR run) that draw their own
  // charts in report.json; one automatic chart per such tag would bury the page (dozens of them).
  for (const tag of tags.filter((t) => !isLoss(t) && !isAcc(t) && !t.startsWith("eval/"))) {
    const title = /(^|\/)lr$|learning.?rate/i.test(tag) ? `Learning rate (${tag})` : `Metric ${tag}`;
    const spec = lineChart(
      pts(
        (t) => t === tag,
        (r) => r.step,
      ),
      { title, xTitle: "step (batches)", yTitle: tag },
    );
    items.push({ type: "chart", id: `metric-${slug(tag)}`, title, spec });
  }
  return items;
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

function section(root: string, dir: string, prefix: string): Section {
  const entry = readRun(root, dir);
  const problems: string[] = [];
  const items = metricCharts(readMetrics(dir).records);
  let raw: unknown[] = [];
  try {
    raw = readJson<unknown[]>(join(dir, "report.json")) ?? [];
    if (!Array.isArray(raw)) throw new Error("report.json must be a JSON array of chart descriptors");
  } catch (e) {
    problems.push((e as Error).message);
    raw = [];
  }
  raw.forEach((d, i) => {
    try {
      const item = toItem(parseDescriptor(d, i));
      // An image given as a file is resolved relative to the run directory, and must stay inside it.
      if (item.type === "image" && item.file !== undefined) {
        const path = join(dir, item.file);
        if (!path.startsWith(join(dir, "/")) || !existsSync(path))
          throw new Error(`report.json chart ${i}: image file "${item.file}" not found in the run directory`);
        items.push({ ...item, file: undefined, pngBase64: readFileSync(path).toString("base64") });
      } else items.push(item);
    } catch (e) {
      problems.push((e as Error).message);
    }
  });
  // Distinct ids so files never overwrite each other.
  const seen = new Map<string, number>();
  for (const it of items) {
    const n = (seen.get(it.id) ?? 0) + 1;
    seen.set(it.id, n);
    if (n > 1) it.id = `${it.id}-${n}`;
  }
  let summary: Record<string, unknown> | undefined;
  let env: Record<string, unknown> | undefined;
  try {
    summary = readJson(join(dir, "summary.json"));
    env = readJson(join(dir, "env.json"));
  } catch (e) {
    problems.push(`unreadable JSON: ${(e as Error).message}`);
  }
  let page: Page | undefined;
  try {
    page = readPage(dir) ?? pageFromSummary(summary);
  } catch (e) {
    problems.push((e as Error).message);
  }
  const configPath = join(dir, "config.yaml");
  const config = existsSync(configPath) ? readFileSync(configPath, "utf8") : undefined;
  return { prefix, entry, items, summary, page, config, env, problems };
}

/** Collects a run directory, or a study with one section per child run. */
export function collectReport(dir: string): ReportModel {
  if (!existsSync(join(dir, "status.json"))) {
    throw new Error(`${dir} is not a run or study directory (no status.json)`);
  }
  const root = join(dir, "..");
  const top = section(root, dir, "");
  const sections = [top];
  for (const child of top.entry.children) sections.push(section(root, child.dir, `${slug(child.name)}-`));
  return { dir, title: `${top.entry.kind === "study" ? "Study" : "Run"} ${top.entry.name}`, sections };
}

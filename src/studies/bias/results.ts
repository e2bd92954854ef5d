// The bias study's result files: the per-cell record (done marker), and results.csv with one row
// per cell × group × metric (value, CI low/high, n) — long format, ready for pandas/R/a spreadsheet.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LossSpec, Split } from "./config.js";
import type { CellMetrics, Estimate } from "./metrics.js";

/** Everything one finished cell produced; written to <study>/done/<cell>.json as its done marker. */
export interface CellRecord {
  id: string;
  /** Hash of the config parts that shape a cell: a changed config never reuses stale cells. */
  configHash: string;
  split: Split;
  loss: LossSpec;
  seed: number;
  temperature: number;
  metrics: CellMetrics;
  train: { epochs: { epoch: number; loss: number; trainAccuracy: number; seconds: number }[]; seconds: number };
  data: Record<string, unknown>;
  /** Where the cell's run directory (metrics.jsonl, TensorBoard events) is, relative to the study. */
  runDir: string;
  finishedAt: string;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileSync(
    `${path}.tmp`,
    `${JSON.stringify(value, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1)}\n`,
  );
  renameSync(`${path}.tmp`, path);
}

export const donePath = (studyDir: string, id: string) => join(studyDir, "done", `${id}.json`);

export function writeCellRecord(studyDir: string, rec: CellRecord): void {
  mkdirSync(join(studyDir, "done"), { recursive: true });
  writeJsonAtomic(donePath(studyDir, rec.id), rec);
}

/** The finished cell's record, or undefined if it has not finished (or finished under another config). */
export function readCellRecord(studyDir: string, id: string, configHash: string): CellRecord | undefined {
  const p = donePath(studyDir, id);
  if (!existsSync(p)) return undefined;
  const rec = JSON.parse(readFileSync(p, "utf8")) as CellRecord;
  return rec.configHash === configHash ? rec : undefined;
}

export function listCellRecords(studyDir: string): CellRecord[] {
  const dir = join(studyDir, "done");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as CellRecord);
}

export const CSV_COLUMNS = [
  "study",
  "cell",
  "split",
  "level",
  "loss",
  "seed",
  "group",
  "metric",
  "value",
  "ci_low",
  "ci_high",
  "n",
] as const;

function csvField(v: string | number | null): string {
  if (v === null || (typeof v === "number" && !Number.isFinite(v))) return "";
  const s = typeof v === "number" ? String(Math.round(v * 1e6) / 1e6) : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function resultsCsv(study: string, records: CellRecord[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of records)
    for (const e of r.metrics.rows as Estimate[])
      lines.push(
        [
          study,
          r.id,
          r.split.name,
          r.split.level,
          r.loss.label,
          r.seed,
          e.group,
          e.metric,
          e.value,
          e.ciLow,
          e.ciHigh,
          e.n,
        ]
          .map(csvField)
          .join(","),
      );
  return `${lines.join("\n")}\n`;
}

/** Parses results.csv back (for tools and tests); empty fields become NaN. */
export function parseResultsCsv(text: string): Record<(typeof CSV_COLUMNS)[number], string>[] {
  const [head, ...rows] = text.trimEnd().split("\n");
  const cols = (head ?? "").split(",");
  return rows.map((line) => {
    const fields: string[] = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] as string;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") {
        fields.push(cur);
        cur = "";
      } else cur += ch;
    }
    fields.push(cur);
    return Object.fromEntries(cols.map((c, i) => [c, fields[i] ?? ""])) as Record<(typeof CSV_COLUMNS)[number], string>;
  });
}

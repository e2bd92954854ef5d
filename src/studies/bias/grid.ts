// The bias-study grid runner: splits × losses × seeds, one training per cell, resumable — a cell
// whose done marker (<study>/done/<cell>.json) exists under the same config is read, not rerun.
// After the grid: results.csv, summary.json (analysis and claims), report.json (pictures).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { listUtkFace } from "../../data/utkface.js";
import { collectEnv } from "../../runs/index.js";
import { setupCompute } from "../../torch/device.js";
import { analyse } from "./analysis.js";
import type { CellRunner } from "./cell.js";
import { type BiasConfig, type Cell, cells, focusGroup } from "./config.js";
import { lossCurveCharts, studyCharts } from "./report.js";
import { type CellRecord, readCellRecord, resultsCsv, writeCellRecord, writeJsonAtomic } from "./results.js";

export interface StudyOptions {
  /** The study's directory (default: runs/<config name>). */
  dir?: string;
  runCell?: CellRunner;
  log?: (msg: string) => void;
  /** Stop after this many newly run cells (to split a long grid over several sessions). */
  maxNewCells?: number;
  /** Milliseconds since the epoch (injectable so tests do not depend on the clock). */
  clock?: () => number;
}

export interface StudyResult {
  dir: string;
  ran: string[];
  reused: string[];
  failed: { id: string; error: string }[];
  pending: string[];
  records: CellRecord[];
}

/** Hash of everything that shapes one cell's numbers; a changed config means new cells. */
export function cellConfigHash(cfg: BiasConfig, cell: Cell): string {
  const { data, model, train, eval: ev } = cfg;
  const key = JSON.stringify({
    data,
    model,
    train,
    eval: ev,
    loss: cell.loss,
    proportions: cell.split.proportions,
    seed: cell.seed,
  });
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

export async function runBiasStudy(cfg: BiasConfig, o: StudyOptions = {}): Promise<StudyResult> {
  const dir = resolve(o.dir ?? join("runs", cfg.name));
  const log = o.log ?? ((m: string) => console.log(m));
  const clock = o.clock ?? Date.now;
  const runCell = o.runCell ?? (await import("./cell.js")).runCell;
  // Inputs first (#14): an unreadable UTKFace folder fails before the study folder exists.
  if (cfg.data.utkfaceDir && cfg.data.source !== "synthetic") listUtkFace(cfg.data.utkfaceDir);
  setupCompute(cfg); // device: cuda without CUDA fails here, before the study folder exists (#11)
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.yaml"), YAML.stringify(cfg));
  const started = new Date(clock()).toISOString();
  const grid = cells(cfg);
  const status = (state: string, extra: Record<string, unknown> = {}) =>
    writeJsonAtomic(join(dir, "status.json"), {
      kind: "study",
      name: cfg.name,
      state,
      started,
      pid: process.pid,
      cells: grid.length,
      ...extra,
    });
  status("running", { done: 0 });
  // env.json (versions, host, pid's machine) lets the dashboard tell a killed study from a running one.
  writeJsonAtomic(join(dir, "env.json"), await collectEnv({ argv: process.argv.slice(2) }));

  const result: StudyResult = { dir, ran: [], reused: [], failed: [], pending: [], records: [] };
  try {
    for (const [k, cell] of grid.entries()) {
      const hash = cellConfigHash(cfg, cell);
      const prior = readCellRecord(dir, cell.id, hash);
      if (prior) {
        result.reused.push(cell.id);
        result.records.push(prior);
        continue;
      }
      if (o.maxNewCells !== undefined && result.ran.length >= o.maxNewCells) {
        result.pending.push(cell.id);
        continue;
      }
      log(`[${k + 1}/${grid.length}] ${cell.id}`);
      try {
        const rec = await runCell(cell, cfg, { studyDir: dir, configHash: hash, log });
        writeCellRecord(dir, { ...rec, configHash: hash, finishedAt: new Date(clock()).toISOString() });
        result.ran.push(cell.id);
        result.records.push(rec);
      } catch (e) {
        // One diverged or impossible cell must not sink the grid: record it, go on, report it.
        const error = e instanceof Error ? e.message : String(e);
        log(`  cell ${cell.id} failed: ${error}`);
        result.failed.push({ id: cell.id, error });
        writeFileSync(join(dir, `failed-${cell.id}.txt`), `${error}\n`);
      }
      status("running", { done: result.records.length, failed: result.failed.length });
    }
    writeOutputs(dir, cfg, result);
    // "finished" in the runs contract's sense (the process ended normally); incomplete says whether
    // cells failed or are pending, so a rerun is needed.
    status("finished", {
      incomplete: result.failed.length + result.pending.length > 0,
      done: result.records.length,
      failed: result.failed.length,
      pending: result.pending.length,
      ended: new Date(clock()).toISOString(),
    });
    return result;
  } catch (e) {
    status("crashed", { error: e instanceof Error ? e.message : String(e), ended: new Date(clock()).toISOString() });
    throw e;
  }
}

/** results.csv, summary.json and report.json from the finished cells (also usable on its own). */
export function writeOutputs(
  dir: string,
  cfg: BiasConfig,
  result: Pick<StudyResult, "records" | "failed" | "pending">,
): void {
  const records = result.records;
  writeFileSync(join(dir, "results.csv"), resultsCsv(cfg.name, records));
  const analysis = analyse(records, {
    focus: focusGroup(cfg),
    ciLevel: cfg.eval.ciLevel,
    bootstrap: cfg.eval.bootstrap,
    // (optional chaining: a config parsed before the analysis key existed has none; defaults apply)
    primary: cfg.analysis?.primary,
    alpha: cfg.analysis?.alpha,
    minGroupSamples: cfg.eval.minGroupSamples,
    groups: cfg.data.groups,
  });
  const summary = {
    kind: "bias-study",
    study: cfg.name,
    description: cfg.description,
    data: {
      source: records[0]?.data.source ?? cfg.data.source,
      attribute: cfg.data.attribute,
      groups: cfg.data.groups,
      ...(cfg.data.planted && { planted: cfg.data.planted }),
    },
    focus: analysis.focus,
    ciLevel: analysis.ciLevel,
    alpha: analysis.alpha,
    primary: analysis.primary,
    frame: analysis.frame,
    cells: { total: records.length + result.failed.length + result.pending.length, done: records.length },
    failed: result.failed,
    pending: result.pending,
    temperatures: Object.fromEntries(records.map((r) => [r.id, r.temperature])),
    claims: [...analysis.trends, ...analysis.gaps].map((c) => c.statement),
    trends: analysis.trends,
    gaps: analysis.gaps,
    acrossSeeds: analysis.acrossSeeds,
    warnings: analysis.warnings,
    config: cfg,
  };
  writeJsonAtomic(join(dir, "summary.json"), summary);
  const charts = records.length
    ? [
        ...studyCharts(records, analysis, {
          identifiedThreshold: cfg.eval.identifiedThreshold,
          groups: cfg.data.groups,
        }),
        ...lossCurveCharts(records),
      ]
    : [];
  writeJsonAtomic(join(dir, "report.json"), charts);
}

/** Reads a finished study's summary.json (for the CLI and the demo). */
export function readSummary(dir: string): Record<string, unknown> | undefined {
  const p = join(dir, "summary.json");
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as Record<string, unknown>) : undefined;
}

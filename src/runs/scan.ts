// Reading run directories back (for `facelab report` and `facelab serve`); never writes.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative, sep } from "node:path";
import type { MetricRecord, RunStatus } from "./run.js";

export interface RunEntry {
  /** Path relative to the runs root, with `/` separators. */
  id: string;
  dir: string;
  name: string;
  kind: "run" | "study";
  state: RunStatus["state"] | "unknown";
  /** A "running" run whose process is gone from this host (killed with SIGKILL, machine reboot). */
  stale: boolean;
  started?: string;
  ended?: string;
  error?: string;
  hasReport: boolean;
  children: RunEntry[];
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const isRunDir = (dir: string): boolean => existsSync(join(dir, "status.json"));

/** One run or study directory (with its child runs when it is a study). */
export function readRun(root: string, dir: string): RunEntry {
  const status = readJson<RunStatus>(join(dir, "status.json"));
  const env = readJson<{ hostname?: string }>(join(dir, "env.json"));
  const state = status?.state ?? "unknown";
  const stale = state === "running" && env?.hostname === hostname() && status !== undefined && !alive(status.pid);
  const kind = status?.kind ?? "run";
  return {
    id: relative(root, dir).split(sep).join("/"),
    dir,
    name: status?.name ?? dir.split(sep).pop()!,
    kind,
    state,
    stale,
    ...(status?.started && { started: status.started }),
    ...(status?.ended && { ended: status.ended }),
    ...(status?.error && { error: status.error }),
    hasReport: existsSync(join(dir, "report.html")),
    children: kind === "study" ? scanDir(root, dir) : [],
  };
}

function scanDir(root: string, dir: string): RunEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        return statSync(p).isDirectory() && isRunDir(p);
      } catch {
        return false;
      }
    })
    .map((p) => readRun(root, p))
    .sort((a, b) => (b.started ?? "").localeCompare(a.started ?? "") || a.id.localeCompare(b.id));
}

/** Runs and studies directly under the root, newest first. */
export const listRuns = (root: string): RunEntry[] => scanDir(root, root);

/**
 * Metric records of a run from byte `from` on; returns the byte offset to continue from. A last line
 * without its newline (being written right now) is left for the next call.
 */
export function readMetrics(dir: string, from = 0): { records: MetricRecord[]; next: number } {
  let fd: number;
  try {
    fd = openSync(join(dir, "metrics.jsonl"), "r");
  } catch {
    return { records: [], next: from };
  }
  let buf: Buffer;
  try {
    const size = fstatSync(fd).size;
    if (size < from) from = 0; // file replaced: start again
    // Only the new bytes are read, so tailing a long run stays cheap.
    buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a) + 1;
  if (end === 0) return { records: [], next: from };
  const records: MetricRecord[] = [];
  for (const line of buf.subarray(0, end).toString("utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as MetricRecord & { value: number | string };
      records.push({ ...r, value: Number(r.value) });
    } catch {
      // a corrupt line (disk full mid-write) is skipped, the rest still shows
    }
  }
  return { records, next: from + end };
}

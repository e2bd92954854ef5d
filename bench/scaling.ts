// Scaling case for `npm run bench` (issue 7): the same data-parallel training job (ResNet-18,
// CIFAR stem) with a fixed global batch on 1 process and on N processes started by `facelab
// launch`, reporting images/s, speedup and efficiency = speedup / N. Each N is measured twice:
// gradient all-reduce after backward (as before the overlap) and overlapping backward (default). Every run gets the same total thread budget
// (threads / N per worker, as the launcher assigns), so on a 2-core machine the comparison is
// "2 threads in one process" vs "1 thread in each of 2 processes": report efficiency as measured.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launch } from "../src/cli/commands/launch.js";

export interface ScalingOptions {
  /** Worker counts to compare against 1 (default [2]). */
  nprocs?: number[];
  /** Total threads shared by the workers (default: all cores). */
  threads?: number;
  globalBatch?: number;
  warmup?: number;
  iters?: number;
}

export interface ScalingRow {
  nproc: number;
  /** Gradient buckets all-reduced during backward (true) or after it (false); 1 process has none. */
  overlapBackward: boolean;
  threadsPerWorker: number;
  imagesPerSec: number;
  speedup: number;
  efficiency: number;
}

const worker = fileURLToPath(new URL("./scaling-worker.ts", import.meta.url));
const tsx = pathToFileURL(fileURLToPath(new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url))).href;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

function parse(lines: string[]): number {
  const line = lines.find((l) => l.includes("SCALING "));
  if (!line) throw new Error(`scaling worker printed no result:\n${lines.slice(-20).join("\n")}`);
  return (JSON.parse(line.slice(line.indexOf("SCALING ") + 8)) as { imagesPerSec: number }).imagesPerSec;
}

async function runOne(env: Record<string, string>): Promise<number> {
  const lines: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ["--import", tsx, worker], { env: { ...process.env, ...env } });
    child.stdout.on("data", (d) => lines.push(...String(d).split("\n")));
    child.stderr.on("data", (d) => lines.push(...String(d).split("\n")));
    child.on("close", resolve);
  });
  if (code !== 0) throw new Error(`scaling worker failed (${code}):\n${lines.slice(-20).join("\n")}`);
  return parse(lines);
}

/** One row as text (npm run bench and this file's own table). */
export function scalingLine(r: ScalingRow): string {
  const mode =
    r.nproc === 1 ? "" : r.overlapBackward ? ", all-reduce overlapping backward" : ", all-reduce after backward";
  return (
    `scaling ${r.nproc} process(es) × ${r.threadsPerWorker} threads${mode}: ${r.imagesPerSec.toFixed(1)} img/s, ` +
    `speedup ${r.speedup.toFixed(2)}, efficiency ${(100 * r.efficiency).toFixed(0)}%`
  );
}

/** Measures images/s of the same job on 1 and on each of `nprocs` processes (with and without overlap). */
export async function measureScaling(o: ScalingOptions = {}): Promise<ScalingRow[]> {
  const threads = o.threads ?? availableParallelism();
  const base = {
    SCALING_BATCH: String(o.globalBatch ?? 32),
    SCALING_WARMUP: String(o.warmup ?? 1),
    SCALING_ITERS: String(o.iters ?? 4),
    FACELAB_QUIET: "1",
  };
  const single = await runOne({ ...base, FACELAB_THREADS: String(threads), OMP_NUM_THREADS: String(threads) });
  const rows: ScalingRow[] = [
    { nproc: 1, overlapBackward: false, threadsPerWorker: threads, imagesPerSec: single, speedup: 1, efficiency: 1 },
  ];
  for (const n of o.nprocs ?? [2]) {
    for (const overlapBackward of [false, true]) {
      const per = Math.max(1, Math.floor(threads / n));
      const lines: string[] = [];
      const code = await launch({
        nproc: n,
        masterPort: await freePort(),
        command: [worker],
        env: {
          ...base,
          SCALING_OVERLAP: overlapBackward ? "1" : "0",
          FACELAB_THREADS: String(per),
          OMP_NUM_THREADS: String(per),
        },
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
      });
      if (code !== 0) throw new Error(`scaling run with ${n} workers failed:\n${lines.slice(-20).join("\n")}`);
      const ips = parse(lines);
      rows.push({
        nproc: n,
        overlapBackward,
        threadsPerWorker: per,
        imagesPerSec: ips,
        speedup: ips / single,
        efficiency: ips / single / n,
      });
    }
  }
  return rows;
}

// `node --import tsx bench/scaling.ts` prints the table on its own.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await measureScaling()) console.log(scalingLine(r));
}

// What the side-by-side extras share: the PyTorch side as a Python program run by the generation's
// interpreter (bench/extras.ts sets FACELAB_BENCH_PYTHON; Debian's /usr/bin/python3 with
// python3-torch by default), which prints one JSON line last; and one clock for wall and CPU time.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { setNumThreads } from "../src/torch/index.js";

/** The interpreter whose torch is the PyTorch side. */
export const torchPython = (): string => process.env.FACELAB_BENCH_PYTHON ?? "/usr/bin/python3";

/** Runs `python args…` with `threads` OpenMP threads and returns its last stdout line parsed as JSON. */
export function runPython<T>(what: string, args: string[], threads: number): T {
  const python = torchPython();
  const res = spawnSync(python, args, {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  });
  if (res.status !== 0)
    throw new Error(`${what} (${python}) failed (exit ${res.status ?? res.signal}):\n${res.stderr ?? res.error}`);
  const last = res.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${what} (${python}) printed no JSON result line; its last line: ${JSON.stringify(last)}`);
  }
}

export interface Elapsed {
  /** wall-clock seconds */
  wall: number;
  /** CPU seconds of this process (user + system, all threads) */
  cpu: number;
}

/** Starts a clock; the function it returns reads wall and CPU time since the start. */
export function startClock(): () => Elapsed {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
}

/** A side of a throughput case: items (views, images) per wall second, CPU seconds per item. */
export interface Rates {
  perS: number;
  cpuSPerItem: number;
}

/** The rates of `items` done in `e`. */
export const rates = (items: number, e: Elapsed): Rates => ({ perS: items / e.wall, cpuSPerItem: e.cpu / items });

/**
 * A throughput case's PyTorch side: `bench/<script> args…`, which prints {"per_s", "cpu_s_per_item"}
 * (over its own process and its DataLoader workers).
 */
export function pythonRates(what: string, script: string, args: number[], threads: number): Rates {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const r = runPython<{ per_s: number; cpu_s_per_item: number }>(what, [path, ...args.map(String)], threads);
  return { perS: r.per_s, cpuSPerItem: r.cpu_s_per_item };
}

/** facelab ÷ PyTorch: the throughput ratio, and the same in CPU time per item (steadier on a busy machine). */
export const compareRates = (facelab: Rates, pytorch: Rates) => ({
  ratio: facelab.perS / pytorch.perS,
  cpuRatio: pytorch.cpuSPerItem / facelab.cpuSPerItem,
});

/** The facelab side's intra-op threads: `threads`, else FACELAB_THREADS, else every core; set and returned. */
export function benchThreads(threads?: number): number {
  const n = threads ?? (Number(process.env.FACELAB_THREADS) || availableParallelism());
  setNumThreads(n);
  return n;
}

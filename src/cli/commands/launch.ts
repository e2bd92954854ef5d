// facelab launch: starts one worker process per rank, in the manner of torchrun. Each worker gets
// torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, MASTER_ADDR,
// MASTER_PORT) and an equal share of the cores; rank 0's process hosts the c10d TCPStore that the
// others rendezvous at (src/torch/distributed). Processes, not worker_threads: one LibTorch per
// process avoids OpenMP and grad-mode sharing (reference/libtorch-binding-and-ts-ecosystem.md §2.4).
// When one worker fails, the others are stopped and the failing rank's error is shown.
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Command } from "commander";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface LaunchOptions {
  /** Workers on this node. */
  nproc: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** A facelab command and its arguments, or a script (.ts/.js/.mjs) and its arguments. */
  command: string[];
  /** Rendezvous and collective timeout passed to workers (FACELAB_DIST_TIMEOUT_MS). */
  timeoutMs?: number;
  /** c10d backend of the workers' default group (FACELAB_DIST_BACKEND): gloo, or nccl on CUDA builds. */
  backend?: "gloo" | "nccl";
  /** Extra environment for the workers. */
  env?: Record<string, string>;
  /** How long stopped workers get between SIGTERM and SIGKILL (default 5 s). */
  graceMs?: number;
  /** Where worker output and launcher messages go (default: this process's stdout/stderr). */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

interface Worker {
  rank: number;
  localRank: number;
  child: ChildProcess;
  tail: string[];
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

const TAIL_LINES = 30;

function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`launch: ${name} must be an integer in [${min}, ${max}], got ${v}`);
}

function workerArgs(command: string[]): string[] {
  const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const [first, ...rest] = command;
  if (first === undefined)
    throw new Error("launch: give the command to run after --, e.g. `facelab launch --nproc 2 -- simclr ...`");
  if (/\.(ts|mts|js|mjs|cjs)$/.test(first)) return ["--import", tsx, first, ...rest];
  return ["--import", tsx, join(root, "src", "cli", "main.ts"), ...command];
}

/** Splits a stream into lines and hands each to sink. */
function lines(stream: NodeJS.ReadableStream | null, sink: (line: string) => void) {
  if (!stream) return;
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf("\n");
    while (i >= 0) {
      sink(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
    }
  });
  stream.on("end", () => {
    if (buf) sink(buf);
  });
}

const describeExit = (e: Worker["exit"]) =>
  e?.signal ? `was killed by ${e.signal}` : `exited with code ${e?.code ?? "unknown"}`;

/** Runs the workers to completion; resolves with the exit code the launcher should return. */
export function launch(o: LaunchOptions): Promise<number> {
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  const masterAddr = o.masterAddr ?? "127.0.0.1";
  const masterPort = o.masterPort ?? 29500;
  checkInt("--nproc", o.nproc, 1, 1024);
  checkInt("--nnodes", nnodes, 1);
  checkInt("--node-rank", nodeRank, 0, nnodes - 1);
  checkInt("--master-port", masterPort, 1, 65535);
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = o.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const args = workerArgs(o.command);
  const worldSize = nnodes * o.nproc;
  // Each worker gets an equal share of the cores (torchrun sets OMP_NUM_THREADS likewise).
  const threads = String(Math.max(1, Math.floor(availableParallelism() / o.nproc)));
  const graceMs = o.graceMs ?? 5000;

  return new Promise((resolve) => {
    const workers: Worker[] = [];
    let failed: Worker | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const stopAll = (signal: NodeJS.Signals) => {
      for (const w of workers) if (!w.exit) w.child.kill(signal);
      killTimer ??= setTimeout(() => {
        for (const w of workers) if (!w.exit) w.child.kill("SIGKILL");
      }, graceMs);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      err(`facelab launch: received ${signal}, stopping ${workers.length} worker(s)`);
      stopAll(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    const finished = () => {
      if (!workers.every((w) => w.exit)) return;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (killTimer) clearTimeout(killTimer);
      if (failed) {
        err(
          `facelab launch: rank ${failed.rank} (local rank ${failed.localRank}) ${describeExit(failed.exit)}; stopped the other workers`,
        );
        if (failed.tail.length) {
          err(`facelab launch: last output of rank ${failed.rank}:`);
          for (const l of failed.tail) err(`  ${l}`);
        }
        resolve(1);
      } else resolve(0);
    };

    for (let local = 0; local < o.nproc; local++) {
      const rank = nodeRank * o.nproc + local;
      const env: Record<string, string | undefined> = {
        ...process.env,
        OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? threads,
        FACELAB_THREADS: process.env.FACELAB_THREADS ?? threads,
        ...o.env,
        RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        LOCAL_RANK: String(local),
        LOCAL_WORLD_SIZE: String(o.nproc),
        NODE_RANK: String(nodeRank),
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(masterPort),
      };
      if (o.timeoutMs !== undefined) env.FACELAB_DIST_TIMEOUT_MS = String(Math.round(o.timeoutMs));
      if (o.backend !== undefined) env.FACELAB_DIST_BACKEND = o.backend;
      const child = spawn(process.execPath, args, { cwd: process.cwd(), env, stdio: ["ignore", "pipe", "pipe"] });
      const w: Worker = { rank, localRank: local, child, tail: [] };
      workers.push(w);
      const prefix = worldSize > 1 ? `[rank ${rank}] ` : "";
      const keep = (l: string) => {
        w.tail.push(l);
        if (w.tail.length > TAIL_LINES) w.tail.shift();
      };
      lines(child.stdout, (l) => {
        keep(l);
        out(prefix + l);
      });
      lines(child.stderr, (l) => {
        keep(l);
        err(prefix + l);
      });
      child.on("error", (e) => keep(`cannot start worker: ${e.message}`));
      // 'close' fires after the streams end, so the tail is complete when we report.
      child.on("close", (code, signal) => {
        w.exit = { code, signal };
        if ((code !== 0 || signal) && !failed) {
          failed = w;
          stopAll("SIGTERM");
        }
        finished();
      });
    }
  });
}

export function register(program: Command): void {
  program
    .command("launch")
    .description("run a facelab command (or a script) as N data-parallel worker processes, like torchrun")
    .requiredOption("--nproc <n>", "worker processes on this node", (v) => Number(v))
    .option("--nnodes <m>", "number of nodes", (v) => Number(v), 1)
    .option("--node-rank <r>", "this node's index in [0, nnodes)", (v) => Number(v), 0)
    .option("--master-addr <host>", "address of node 0 (rank 0 hosts the rendezvous store)", "127.0.0.1")
    .option("--master-port <port>", "port of the rendezvous store on node 0", (v) => Number(v), 29500)
    .option("--timeout <seconds>", "rendezvous and collective timeout (default 1800, as in c10d)", (v) => Number(v))
    .option("--backend <name>", "c10d backend: gloo (CPU) or nccl (CUDA builds with NCCL; one GPU per worker)")
    .argument("<command...>", "after --: a facelab command with its options, or a .ts/.js script with its arguments")
    .action(async (command: string[], opts) => {
      if (opts.backend !== undefined) {
        const { availableBackends } = await import("../../torch/distributed/index.js");
        if (!(availableBackends() as string[]).includes(opts.backend))
          throw new Error(
            `facelab launch --backend ${opts.backend}: this build has ${availableBackends().join(", ") || "no c10d backend"}` +
              (opts.backend === "nccl" ? ' (nccl needs a CUDA build: README "Bring your own LibTorch / PyTorch")' : ""),
          );
      }
      const code = await launch({
        backend: opts.backend,
        nproc: opts.nproc,
        nnodes: opts.nnodes,
        nodeRank: opts.nodeRank,
        masterAddr: opts.masterAddr,
        masterPort: opts.masterPort,
        timeoutMs: opts.timeout === undefined ? undefined : opts.timeout * 1000,
        command,
      });
      process.exitCode = code;
    });
}

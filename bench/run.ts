// `npm run bench`: facelab vs PyTorch side by side (issue 2). Each case runs in fresh child
// processes, alternating which side goes first each round, with the same thread count on both.
// Reports images/s (batch / median iteration time), ratio = facelab/PyTorch, and each side's peak
// RSS. Flags: --json, --rounds N (2), --warmup N (2), --iters N (4), --threads N, --cases a,b,
// --gc (facelab side runs a minor V8 GC after each step; see README.md), --no-extras (skip the
// per-op overhead case — small ops on 2-element tensors, µs per call — the augmentation case —
// batched SimCLR views vs torchvision per image — the SimCLR step and the 1-vs-2-process scaling
// case; they run once per generation, bench/extras.ts).
// Generations (bench/generations.ts): every case runs against each PyTorch generation found —
// Debian's 1.13 and torch 2.x from a venv, facelab built on the matching LibTorch — and in both
// memory formats (contiguous, channels-last). --prepare-torch2 makes the 2.x build and venv;
// --generations 1.13,2.13 picks; --formats contiguous picks; --quick = 1 round, 1 warm-up, 2 iterations.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { CASES, type WorkerResult } from "./cases.js";
import { type Extras, extrasLines, runExtras } from "./extras.js";
import { findGenerations, type Generation, prepareTorch2 } from "./generations.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`--${name} needs a non-negative integer, got ${process.argv[i + 1]}`);
  return v;
}

function listFlag(name: string): string[] | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : (process.argv[i + 1] ?? "").split(",");
}

const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const rounds = Math.max(1, flag("rounds", quick ? 1 : 2));
const warmup = flag("warmup", quick ? 1 : 2);
const iters = Math.max(1, flag("iters", quick ? 2 : 4));
if (process.argv.includes("--prepare-torch2")) prepareTorch2();
const found = findGenerations();
const wantedGenerations = listFlag("generations");
const generations = found.ready.filter((g) => !wantedGenerations || wantedGenerations.includes(g.label));
if (generations.length === 0) throw new Error(`no PyTorch generation to compare with: ${found.skipped.join("; ")}`);
for (const why of found.skipped) process.stderr.write(`bench: skipped ${why}\n`);
const formats = (listFlag("formats") ?? ["contiguous", "channels_last"]).filter(
  (f) => f === "contiguous" || f === "channels_last",
);
const threads = flag("threads", Number(process.env.FACELAB_THREADS) || availableParallelism());
const ci = process.argv.indexOf("--cases");
const wanted = ci >= 0 ? (process.argv[ci + 1] ?? "").split(",") : CASES.map((c) => c.name);
const cases = CASES.filter((c) => wanted.includes(c.name));
if (cases.length === 0) throw new Error(`no such case in --cases; known: ${CASES.map((c) => c.name).join(", ")}`);

const env = {
  ...process.env,
  FACELAB_THREADS: String(threads),
  OMP_NUM_THREADS: String(threads),
  FACELAB_QUIET: "1",
  FACELAB_BENCH_GC: process.argv.includes("--gc") ? "1" : "0",
};
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function runWorker(side: "facelab" | "pytorch", name: string, gen: Generation, format: string): WorkerResult {
  const args =
    side === "facelab"
      ? [process.execPath, ["--import", "tsx", here("./facelab_worker.ts"), name, String(warmup), String(iters)]]
      : [gen.python, [here("./torch_worker.py"), name, String(warmup), String(iters), String(threads)]];
  const genEnv = {
    ...env,
    FACELAB_BENCH_MEMORY_FORMAT: format,
    ...(gen.native ? { FACELAB_NATIVE: gen.native } : {}),
  };
  const res = spawnSync(args[0] as string, args[1] as string[], { env: genEnv, encoding: "utf8", maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`${side} worker for ${name} failed (exit ${res.status}):\n${res.stderr}`);
  const last = res.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as WorkerResult;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Entry {
  /** images/s from the median wall-clock iteration */
  facelab: number;
  pytorch: number;
  ratio: number;
  /** images per CPU-second (user + system over all threads), from the median iteration */
  cpu: { facelab: number; pytorch: number; ratio: number };
  /** minor page faults per iteration (mean over rounds) */
  minorFaults: { facelab: number; pytorch: number };
  facelabPeakRssMiB: number;
  pytorchPeakRssMiB: number;
  rssRatio: number;
  batch: number;
  threads: number;
  /** PyTorch generation (facelab built on the same LibTorch) and memory format */
  torch: string;
  memoryFormat: string;
}
const out: Record<string, Entry> = {};

const variants = generations.flatMap((gen) => cases.flatMap((c) => formats.map((format) => ({ c, gen, format }))));
for (const { c, gen, format } of variants) {
  const key = `${c.name}${format === "channels_last" ? "+cl" : ""}@${gen.label}`;
  const times = { facelab: [] as number[], pytorch: [] as number[] };
  const cpu = { facelab: [] as number[], pytorch: [] as number[] };
  const rss = { facelab: 0, pytorch: 0 };
  const faults = { facelab: 0, pytorch: 0 };
  for (let r = 0; r < rounds; r++) {
    const order: ("facelab" | "pytorch")[] = r % 2 === 0 ? ["facelab", "pytorch"] : ["pytorch", "facelab"];
    for (const side of order) {
      const res = runWorker(side, c.name, gen, format);
      times[side].push(...res.times);
      cpu[side].push(...res.cpuTimes);
      rss[side] = Math.max(rss[side], res.peakRssMiB);
      faults[side] += res.minorFaultsPerIter / rounds;
      if (!json)
        process.stderr.write(
          `  ${key} round ${r + 1}/${rounds} ${side}: ${(c.batch / median(res.times)).toFixed(1)} img/s\n`,
        );
    }
  }
  const f = c.batch / median(times.facelab);
  const p = c.batch / median(times.pytorch);
  const fc = c.batch / median(cpu.facelab);
  const pc = c.batch / median(cpu.pytorch);
  out[key] = {
    facelab: round(f),
    pytorch: round(p),
    ratio: round(f / p, 3),
    cpu: { facelab: round(fc), pytorch: round(pc), ratio: round(fc / pc, 3) },
    minorFaults: { facelab: Math.round(faults.facelab), pytorch: Math.round(faults.pytorch) },
    facelabPeakRssMiB: round(rss.facelab),
    pytorchPeakRssMiB: round(rss.pytorch),
    rssRatio: round(rss.facelab / rss.pytorch, 3),
    batch: c.batch,
    threads,
    torch: gen.label,
    memoryFormat: format,
  };
}

function round(v: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}

// The extras (per-op overhead, augmentation, SimCLR step, scaling) once per generation, each in a
// child process on that generation's facelab build and interpreter (bench/extras.ts).
const extras: Extras[] = [];
if (!process.argv.includes("--no-extras") && ci < 0)
  for (const gen of generations) {
    if (!json) process.stderr.write(`  extras @${gen.label}…\n`);
    extras.push(runExtras(gen, { threads, quick }));
  }

if (json) {
  console.log(JSON.stringify({ ...out, extras }, null, 2));
} else {
  const rows = [
    [
      "case",
      "facelab img/s",
      "PyTorch img/s",
      "ratio",
      "CPU-time ratio",
      "facelab peak RSS",
      "PyTorch peak RSS",
      "RSS ratio",
    ],
    ...Object.entries(out).map(([k, e]) => [
      k,
      e.facelab.toFixed(1),
      e.pytorch.toFixed(1),
      e.ratio.toFixed(3),
      e.cpu.ratio.toFixed(3),
      `${e.facelabPeakRssMiB.toFixed(0)} MiB`,
      `${e.pytorchPeakRssMiB.toFixed(0)} MiB`,
      e.rssRatio.toFixed(3),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  for (const r of rows)
    console.log(
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join("  "),
    );
  console.log(
    `threads ${threads}, ${rounds} rounds × ${iters} timed iterations after ${warmup} warm-up, alternating sides` +
      `; case+cl = channels-last on both sides, @X.Y = PyTorch X.Y vs facelab on LibTorch X.Y`,
  );
  console.log("CPU-time ratio = (images per CPU-second) facelab / PyTorch; steadier than wall time on a busy machine");
  console.log("targets: training ratio ≥ 0.95, facelab peak RSS ≤ 1.25 × PyTorch's");
  for (const e of extras) for (const line of extrasLines(e)) console.log(line);
}

// The extra cases of `npm run bench` — per-op overhead, augmentation, the SimCLR step and 1-vs-2-process
// scaling — for one PyTorch generation: they run in a child process whose facelab is the
// generation's build (FACELAB_NATIVE) and whose PyTorch side is the generation's interpreter
// (FACELAB_BENCH_PYTHON, bench/sides.ts), so 1.13 and 2.x are each compared on matching LibTorch.
// A generation whose interpreter cannot import torchvision (the augmentation and SimCLR-step PyTorch
// sides use it) gets those two cases skipped with the reason. Child: `node --import tsx bench/extras.ts '{json}'`.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type AugmentBenchResult, augmentLine, benchAugment } from "./augment.js";
import { type Generation, torchvisionProblem } from "./generations.js";
import { benchOpOverhead, type OpOverheadRow, opOverheadLine } from "./op_overhead.js";
import { measureScaling, type ScalingRow, scalingLine } from "./scaling.js";
import { torchPython } from "./sides.js";
import { benchSimclrStep, type SimclrStepResult, simclrStepLine } from "./simclr_step.js";

export interface ExtrasOptions {
  threads: number;
  /** fewer calls, batches, steps and iterations: a check that every case runs, not a measurement */
  quick: boolean;
}

export interface Extras {
  /** the PyTorch generation (facelab on the same LibTorch) */
  torch: string;
  opOverhead: OpOverheadRow[];
  augment?: AugmentBenchResult[];
  simclrStep?: SimclrStepResult;
  scaling: ScalingRow[];
  /** cases not run, with the reason */
  skipped: string[];
}

/** Every extra case in this process (FACELAB_NATIVE / FACELAB_BENCH_PYTHON already set). */
async function measureAll(torch: string, o: ExtrasOptions): Promise<Extras> {
  const python = torchPython();
  const out: Extras = {
    torch,
    opOverhead: benchOpOverhead(o.quick ? { calls: 5000, repeats: 3 } : {}),
    scaling: [],
    skipped: [],
  };
  const problem = torchvisionProblem(python);
  if (problem) out.skipped.push(`augment and simclr_step: ${problem}`);
  else {
    out.augment = [32, 96].map((size) => benchAugment({ size, threads: o.threads, batches: o.quick ? 2 : 8 }));
    out.simclrStep = await benchSimclrStep({ threads: o.threads, steps: o.quick ? 2 : 6 });
  }
  out.scaling = await measureScaling({ nprocs: [2], threads: o.threads, iters: o.quick ? 2 : 4 });
  return out;
}

/** Runs the extras for `gen` in a child process on the generation's facelab build and interpreter. */
export function runExtras(gen: Generation, o: ExtrasOptions): Extras {
  const self = fileURLToPath(import.meta.url);
  const env = {
    ...process.env,
    FACELAB_BENCH_PYTHON: gen.python,
    FACELAB_THREADS: String(o.threads),
    OMP_NUM_THREADS: String(o.threads),
    ...(gen.native ? { FACELAB_NATIVE: gen.native } : {}),
  };
  const res = spawnSync(process.execPath, ["--import", "tsx", self, JSON.stringify({ torch: gen.label, ...o })], {
    env,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (res.status !== 0)
    throw new Error(`bench extras for torch ${gen.label} failed (exit ${res.status ?? res.signal}):\n${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "") as Extras;
}

/** The extras as report lines, each tagged with its generation (@1.13, @2.13). */
export function extrasLines(e: Extras): string[] {
  const tag = (line: string) => `${line.replace(/^(\S+)/, `$1@${e.torch}`)}`;
  return [
    ...(e.augment ?? []).map(augmentLine),
    ...(e.simclrStep ? [simclrStepLine(e.simclrStep)] : []),
    ...e.scaling.map(scalingLine),
    ...e.opOverhead.map(opOverheadLine),
  ]
    .map(tag)
    .concat(e.skipped.map((s) => `skipped@${e.torch}: ${s}`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const o = JSON.parse(process.argv[2] ?? "{}") as ExtrasOptions & { torch: string };
  console.log(JSON.stringify(await measureAll(o.torch, o)));
}

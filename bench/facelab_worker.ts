// One benchmark case on facelab in this process: build, warm up, time `iters` iterations, print a
// WorkerResult JSON line. Run by bench/run.ts in its own child so peak RSS is per case.
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { resnet18, resnet50 } from "../src/models/resnet.js";
import { autocast, GradScaler, type Precision } from "../src/torch/autocast.js";
import { channelsLast, inMemoryFormat, resolveDevice, synchronize } from "../src/torch/device.js";
import { buildInfo, F, getNumThreads, keep, manualSeed, noGrad, randint, randn, tidy } from "../src/torch/index.js";
import { SGD } from "../src/torch/optim/index.js";
import { CASES, SGD_OPTIONS, type WorkerResult } from "./cases.js";

const [name, warmupArg, itersArg] = process.argv.slice(2);
const c = CASES.find((k) => k.name === name);
if (!c) throw new Error(`unknown case '${name}'; expected one of ${CASES.map((k) => k.name).join(", ")}`);
const warmup = Number(warmupArg ?? 2);
const iters = Number(itersArg ?? 5);

// Variants set by bench/run.ts and scripts/gpu-check.mjs (bench/torch_worker.py reads the same).
const format = process.env.FACELAB_BENCH_MEMORY_FORMAT === "channels_last" ? "channels_last" : "contiguous";
const device = resolveDevice(process.env.FACELAB_BENCH_DEVICE ?? "cpu", "FACELAB_BENCH_DEVICE");
const precision = (process.env.FACELAB_BENCH_PRECISION ?? "fp32") as Precision;
const size = Number(process.env.FACELAB_BENCH_SIZE ?? c.size);
const batch = Number(process.env.FACELAB_BENCH_BATCH ?? c.batch);
const sync = device === "cpu" ? () => {} : () => synchronize(device);

manualSeed(0);
const model = (c.arch === "resnet18" ? resnet18 : resnet50)({ cifarStem: c.cifarStem, numClasses: c.numClasses });
model.to(device);
if (format === "channels_last") channelsLast(model);
const x = keep(tidy(() => inMemoryFormat(randn([batch, 3, size, size], { device }), format)));
const y = keep(randint(0, c.numClasses, [batch], { device }));
const opt = c.train ? new SGD(model.parameters(), SGD_OPTIONS) : null;
const scaler = new GradScaler({ enabled: precision === "fp16" });
if (c.train) model.train();
else model.eval();

// With FACELAB_BENCH_GC=1 a minor GC runs after every step. It used to be needed to finalize the
// native records of disposed handles, which fragmented glibc's heap until V8 collected them;
// dispose() now frees them at once, and the flag remains for comparison (bench/README.md "Memory").
let minorGc: (() => void) | undefined;
if (process.env.FACELAB_BENCH_GC === "1") {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (o: { type: string }) => void;
  minorGc = () => gc({ type: "minor" });
}

function step(): void {
  if (opt) {
    tidy(() => {
      opt.zeroGrad();
      const logits = autocast(device, precision, () => model.call(x));
      const loss = F.crossEntropy(logits.float(), y);
      scaler.scaleLoss(loss).backward();
      scaler.step(model.parameters(), () => opt.step());
    });
  } else {
    tidy(() => noGrad(() => autocast(device, precision, () => model.call(x))));
  }
  sync();
  minorGc?.();
}

for (let i = 0; i < warmup; i++) step();
const times: number[] = [];
const cpuTimes: number[] = [];
const faults0 = process.resourceUsage().minorPageFault;
for (let i = 0; i < iters; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  step();
  times.push((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  cpuTimes.push((c.user + c.system) / 1e6);
}
const result: WorkerResult = {
  side: "facelab",
  case: c.name,
  torch: buildInfo().torchVersion,
  batch,
  threads: getNumThreads(),
  times,
  cpuTimes,
  minorFaultsPerIter: (process.resourceUsage().minorPageFault - faults0) / iters,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
};
console.log(JSON.stringify(result));

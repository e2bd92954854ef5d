#!/usr/bin/env node
// `npm run gpu-check`: the prepared check for a machine with an NVIDIA GPU (issue 11), ≤ 8 minutes.
//   1. build facelab against the CUDA LibTorch (LIBTORCH=<dir|wheel>, FACELAB_TORCH_CUDA_WHEEL, or a
//      CUDA torch-2*.whl found under /opt /usr/local /root /home /srv), nccl compiled in
//   2. the CUDA tests (build-and-load, devices, precision, and every test file with a CUDA-only test)
//   3. ResNet-50 training at 128 px, batch 64: fp32, AMP (fp16 + GradScaler), AMP + channels-last —
//      facelab vs PyTorch eager from the same wheel, same run (bench/facelab_worker.ts, bench/torch_worker.py)
//   4. two epochs of the seed's ResNet-50 SimCLR on synthetic 128 px faces (facelab simclr run)
//   5. a 1-GPU NCCL process group (all-reduce on cuda:0)
// One JSON out (--out FILE, default gpu-check.json). Every step records ok/error/seconds and goes on.
// --cpu (or --dry-run): the same steps on this machine's CPU with tiny sizes, the installed addon
// (FACELAB_NATIVE or native/build) and Debian's PyTorch, bf16 for AMP and Gloo for the group — to
// test this script without a GPU. --only build,tests,resnet50,simclr,nccl runs some steps.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { libtorchFromWheel } from "./torch-wheel.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const cpu = argv.includes("--cpu") || argv.includes("--dry-run");
const onlyIdx = argv.indexOf("--only"); // e.g. --only tests,nccl
const only = onlyIdx >= 0 ? new Set(argv[onlyIdx + 1].split(",")) : undefined;
const outIdx = argv.indexOf("--out");
const outFile = outIdx >= 0 ? argv[outIdx + 1] : join(root, "gpu-check.json");
const cache = process.env.FACELAB_WHEEL_CACHE ?? join(root, "node_modules", ".cache", "facelab");
const t0 = Date.now();
const report = { mode: cpu ? "cpu (dry run)" : "cuda", started: new Date().toISOString(), steps: {} };

function sh(cmd, args, { env = {}, timeoutS = 300 } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    env: { ...process.env, FACELAB_QUIET: "1", ...env },
    encoding: "utf8",
    maxBuffer: 1 << 26,
    timeout: timeoutS * 1000,
  });
  const tail = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
  // A step past its limit is killed (SIGTERM; the CLI's handler then exits 1): say so, not just "exited 1".
  if (r.error?.code === "ETIMEDOUT")
    throw new Error(`${basename(cmd)} ${args.slice(0, 3).join(" ")} timed out after ${timeoutS} s:\n${tail}`);
  if (r.status !== 0)
    throw new Error(`${basename(cmd)} ${args.slice(0, 3).join(" ")} exited ${r.status ?? r.signal}:\n${tail}`);
  return r.stdout;
}

function step(name, fn) {
  if (only && !only.has(name)) {
    report.steps[name] = { ok: true, skipped: "not in --only" };
    return;
  }
  const s = Date.now();
  process.stderr.write(`gpu-check: ${name}…\n`);
  try {
    report.steps[name] = { ok: true, ...(fn() ?? {}) };
  } catch (e) {
    report.steps[name] = { ok: false, error: String(e.message ?? e) };
    process.stderr.write(`gpu-check: ${name} failed: ${e.message}\n`);
  }
  report.steps[name].seconds = Math.round((Date.now() - s) / 100) / 10;
}

function findCudaWheel() {
  if (process.env.FACELAB_TORCH_CUDA_WHEEL) return process.env.FACELAB_TORCH_CUDA_WHEEL;
  const dirs = (process.env.FACELAB_WHEEL_DIRS ?? "/opt /usr/local /root /home /srv").split(" ");
  const r = spawnSync(
    "find",
    [...dirs, "-xdev", "-maxdepth", "4", "-name", "torch-2*.whl", "-not", "-name", "*+cpu*"],
    {
      encoding: "utf8",
    },
  );
  return r.stdout.trim().split("\n").filter(Boolean).sort().at(-1);
}

/** NVIDIA wheels may lie in other folders than torch's (FACELAB_WHEELHOUSE for torch-wheel.mjs). */
function wheelhouses() {
  const dirs = (process.env.FACELAB_WHEEL_DIRS ?? "/opt /usr/local /root /home /srv").split(" ");
  const r = spawnSync("find", [...dirs, "-xdev", "-maxdepth", "4", "-name", "nvidia_*.whl"], { encoding: "utf8" });
  return [...new Set(r.stdout.trim().split("\n").filter(Boolean).map(dirname))].join(":");
}

// ---- 1. build ---------------------------------------------------------------------------------
let addon = process.env.FACELAB_NATIVE ?? join(root, "native", "build", "Release", "facelab_native.node");
let python = "/usr/bin/python3";
let pythonPath = "";
step("build", () => {
  if (cpu) return { addon, note: "--cpu: the installed addon, not a CUDA build" };
  let libtorch = process.env.LIBTORCH;
  let site;
  if (!libtorch || libtorch.endsWith(".whl")) {
    const wheel = libtorch ?? findCudaWheel();
    if (!wheel) throw new Error("no CUDA LibTorch: set LIBTORCH or FACELAB_TORCH_CUDA_WHEEL");
    process.env.FACELAB_WHEELHOUSE ??= wheelhouses();
    const x = libtorchFromWheel(wheel, undefined, { python: true });
    libtorch = x.libtorch;
    site = x.dir;
  }
  const dir = join(cache, "build-torch2-cuda");
  sh(process.execPath, [join(root, "scripts", "build-native.mjs")], {
    env: { LIBTORCH: libtorch, FACELAB_BUILD_DIR: dir },
    timeoutS: 360,
  });
  addon = join(dir, "Release", "facelab_native.node");
  // PyTorch eager from the same wheel: its unpacked site-packages folder on PYTHONPATH.
  if (site) pythonPath = site;
  else if (process.env.FACELAB_PYTHON) python = process.env.FACELAB_PYTHON;
  return { addon, libtorch };
});
const info = (() => {
  try {
    return JSON.parse(
      sh(process.execPath, ["-e", `console.log(JSON.stringify(require(${JSON.stringify(addon)}).config()))`]),
    );
  } catch (e) {
    return { error: e.message };
  }
})();
delete info.buildConfig;
report.build = info;
const gpu = spawnSync("nvidia-smi", ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"], {
  encoding: "utf8",
});
report.gpu = gpu.status === 0 ? gpu.stdout.trim() : "none (nvidia-smi not found or failed)";
const runEnv = { FACELAB_NATIVE: addon, ...(pythonPath ? { PYTHONPATH: pythonPath } : {}) };
const device = cpu ? "cpu" : "cuda:0";

// ---- 2. tests ---------------------------------------------------------------------------------
step("tests", () => {
  // The build/device/precision tests, and every test file with a CUDA-only test (those skip by
  // cudaUnavailableReason: the evaluation on the model's device, the CLI's device settings, …).
  const withCuda = sh("grep", ["-rlF", "cudaUnavailableReason", "test", "--include=*.test.ts"]).trim().split("\n");
  const base = ["native", "device", "autocast"].map((f) => `test/torch/${f}.test.ts`);
  const files = [...new Set([...base, ...withCuda.filter(Boolean).sort()])];
  const out = sh(process.execPath, [join(root, "scripts", "test.mjs"), ...files], {
    env: { ...runEnv, ...(cpu ? {} : { FACELAB_EXPECT_CUDA: "1" }) },
  });
  const count = (k) => Number(new RegExp(`ℹ ${k} (\\d+)`).exec(out)?.[1] ?? Number.NaN);
  const skipped = [...out.matchAll(/﹣ (.*) # (.*)$/gm)].map((m) => `${m[1].trim()}: ${m[2]}`);
  return { files, pass: count("pass"), fail: count("fail"), skipped };
});

// ---- 3. ResNet-50 training, facelab vs PyTorch ------------------------------------------------
step("resnet50", () => {
  const amp = cpu ? "bf16" : "fp16";
  const variants = [
    { name: "fp32", precision: "fp32", format: "contiguous" },
    { name: `amp-${amp}`, precision: amp, format: "contiguous" },
    { name: `amp-${amp}+channels_last`, precision: amp, format: "channels_last" },
  ];
  const [size, batch, warmup, iters] = cpu ? [32, 2, 1, 1] : [128, 64, 3, 10];
  const rows = {};
  for (const v of variants) {
    const env = {
      ...runEnv,
      FACELAB_BENCH_DEVICE: device,
      FACELAB_BENCH_PRECISION: v.precision,
      FACELAB_BENCH_MEMORY_FORMAT: v.format,
      FACELAB_BENCH_SIZE: String(size),
      FACELAB_BENCH_BATCH: String(batch),
    };
    const last = (s) => JSON.parse(s.trim().split("\n").at(-1));
    const f = last(
      sh(process.execPath, ["--import", "tsx", "bench/facelab_worker.ts", "resnet50_train", `${warmup}`, `${iters}`], {
        env,
      }),
    );
    const p = last(sh(python, ["bench/torch_worker.py", "resnet50_train", `${warmup}`, `${iters}`, "2"], { env }));
    const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
    const fi = batch / med(f.times);
    const pi = batch / med(p.times);
    rows[v.name] = {
      facelab: Math.round(fi * 10) / 10,
      pytorch: Math.round(pi * 10) / 10,
      ratio: Math.round((fi / pi) * 1000) / 1000,
      pytorchVersion: p.torch,
    };
  }
  return { imagesPerSecond: rows, size, batch, iters };
});

// ---- 4. SimCLR, 2 epochs of ResNet-50 on synthetic faces --------------------------------------
step("simclr", () => {
  const runs = mkdtempSync(join(tmpdir(), "facelab-gpu-check-"));
  const sets = cpu
    ? ["data.imageSize=32", "data.syntheticCount=64", "pretrain.batchSize=32", "precision=bf16"]
    : [
        "data.imageSize=128",
        "data.syntheticCount=4096",
        "model.arch=resnet50",
        "model.width=64",
        "model.cifarStem=false",
        "pretrain.batchSize=256",
        "precision=fp16",
        "memoryFormat=channels_last",
        "cudnnBenchmark=true",
      ];
  const epochs = cpu ? 1 : 2;
  const run = (settings) => {
    const args = ["--import", "tsx", "src/cli/main.ts", "simclr", "run", "simclr-faces-synthetic"];
    for (const s of [
      ...settings,
      `device=${device}`,
      `pretrain.epochs=${epochs + 1}`, // --stop-after ends pretraining before evaluation
      "pretrain.monitor.knn=false",
      "pretrain.monitor.onlineProbe=false",
    ])
      args.push("--set", s);
    args.push("--stop-after", String(epochs), "--runs", runs, "--no-report");
    return sh(process.execPath, args, { env: runEnv, timeoutS: 240 });
  };
  try {
    const s = Date.now();
    let used = sets;
    let out;
    try {
      out = run(used);
    } catch (e) {
      // A config without the compute keys yet (precision, memoryFormat, cudnnBenchmark): fp32 then, and say so.
      if (!/unknown config key "(precision|memoryFormat|cudnnBenchmark)"/.test(e.message)) throw e;
      used = sets.filter((k) => !/^(precision|memoryFormat|cudnnBenchmark)=/.test(k));
      out = run(used);
    }
    const note =
      used === sets ? undefined : "this simclr config has no precision/memoryFormat keys: ran fp32, contiguous";
    return { epochs, settings: used, note, seconds: (Date.now() - s) / 1000, tail: out.trim().split("\n").slice(-3) };
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

// ---- 5. a 1-GPU NCCL group --------------------------------------------------------------------
step("nccl", () => {
  const backend = cpu ? "gloo" : "nccl";
  const dir = mkdtempSync(join(tmpdir(), "facelab-nccl-"));
  const code = `
    import { distributed, tensor } from "./src/torch/index.js";
    const g = await distributed.initProcessGroup({ backend: "${backend}", rank: 0, worldSize: 1, initFile: ${JSON.stringify(join(dir, "store"))} });
    const t = tensor([1, 2, 3]).to("${device}");
    const r = await g.allReduce(t);
    console.log(JSON.stringify({ backend: "${backend}", result: [...r.cpu().toTypedArray()] }));
    await distributed.destroyProcessGroup();`;
  try {
    const out = sh(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { env: runEnv });
    const r = JSON.parse(out.trim().split("\n").at(-1));
    if (r.result.join() !== "1,2,3") throw new Error(`all-reduce over 1 rank gave ${r.result}`);
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

report.totalSeconds = Math.round((Date.now() - t0) / 1000);
report.ok = Object.values(report.steps).every((s) => s.ok);
writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
process.stderr.write(
  `gpu-check: ${report.ok ? "all steps passed" : "some steps failed"} in ${report.totalSeconds} s → ${outFile}\n`,
);
process.exit(report.ok ? 0 : 1);

// Build-and-load: the addon loaded here (FACELAB_NATIVE, else native/build) reports the LibTorch it
// was built against and what it can do. CI sets FACELAB_EXPECT_TORCH / FACELAB_EXPECT_CUDA per leg
// (.ci/run), so each leg proves it loaded the build it meant to test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildInfo, cudaUnavailableReason, distributed, tensor, tidy } from "../../src/torch/index.js";
import { native } from "../../src/torch/native.js";

const info = buildInfo();

test("the addon reports its LibTorch and runs an op", () => {
  assert.match(info.torchVersion, /^\d+\.\d+\.\d+/);
  const expected = process.env.FACELAB_EXPECT_TORCH;
  if (expected)
    assert.ok(info.torchVersion.startsWith(expected), `built against ${info.torchVersion}, expected ${expected}`);
  assert.equal(info.gloo, true, "c10d Gloo is compiled in (needs libgloo-dev's headers)");
  tidy(() => assert.equal(tensor([1, 2, 3]).sum().item(), 6));
});

test("a CUDA build is CUDA-built with NCCL, and says why CUDA is unusable when it is", () => {
  if (process.env.FACELAB_EXPECT_CUDA === "1") {
    assert.equal(info.cudaBuilt, true);
    assert.equal(info.nccl, true, "the nccl backend is compiled into a CUDA build");
    assert.ok(distributed.availableBackends().includes("nccl"));
  }
  if (!info.cudaBuilt) assert.equal(info.cudaAvailable, false);
  const reason = cudaUnavailableReason();
  if (info.cudaAvailable) assert.equal(reason, null);
  else assert.match(reason ?? "", info.cudaBuilt ? /no CUDA device/ : /has no CUDA/);
});

test("operator ids are shared by every thread that loads the addon (one id per name.overload)", async () => {
  const { Worker } = await import("node:worker_threads");
  const path =
    process.env.FACELAB_NATIVE ?? new URL("../../native/build/Release/facelab_native.node", import.meta.url).pathname;
  const main = native.opId("aten::mul", "Tensor");
  assert.equal(native.opId("aten::mul", "Tensor"), main, "asking again returns the same id");
  const code = `const { parentPort, workerData } = require("node:worker_threads");
    const a = require(workerData);
    const ids = [];
    for (let i = 0; i < 200; i++) ids.push(a.opId("aten::mul", "Tensor"), a.opId("aten::addmm", ""));
    parentPort.postMessage(ids);`;
  const fromWorkers = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<number[]>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: path });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  const addmm = native.opId("aten::addmm", "");
  for (const ids of fromWorkers)
    for (let i = 0; i < ids.length; i += 2) assert.deepEqual([ids[i], ids[i + 1]], [main, addmm]);
  assert.equal(native.schema(main).startsWith("aten::mul.Tensor("), true);
  assert.throws(() => native.call(1e9), /unknown operator id/);
});

test("numeric arguments are checked natively: a bad dtype code or thread count is a TorchError naming it", () => {
  // biome-ignore lint/suspicious/noExplicitAny: calling the raw exports with hostile values
  const n = native as any;
  assert.throws(() => n.fromBuffer(new Float32Array(1), [1], 999), /dtype must be an integer in \[0, \d+\], got 999/);
  assert.throws(() => n.fromBuffer(new Float32Array(1), [1], -1), /dtype must be an integer in \[0, \d+\], got -1/);
  assert.throws(() => n.fromBuffer(new Float32Array(1), [1], 1.5), /dtype must be an integer/);
  assert.throws(() => n.fromBuffer(new Float32Array(1), [1], "float32"), /dtype must be a number/);
  assert.throws(() => n.autocastEnter("cpu", 999), /autocast dtype must be an integer in \[0, \d+\], got 999/);
  assert.throws(() => n.setNumThreads(0), /thread count must be an integer in \[1, 65536\], got 0/);
  assert.throws(() => n.setNumThreads(Number.NaN), /thread count must be an integer in \[1, 65536\], got NaN/);
});

test("intra-op threads at load: FACELAB_THREADS, else OMP_NUM_THREADS (as PyTorch honours it), else every core", async () => {
  const { spawnSync } = await import("node:child_process");
  const path =
    process.env.FACELAB_NATIVE ?? new URL("../../native/build/Release/facelab_native.node", import.meta.url).pathname;
  const threads = (env: Record<string, string>) => {
    const { FACELAB_THREADS: _f, OMP_NUM_THREADS: _o, ...rest } = process.env;
    const r = spawnSync(process.execPath, ["-e", `console.log(require(${JSON.stringify(path)}).config().numThreads)`], {
      env: { ...rest, ...env },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return Number(r.stdout.trim());
  };
  assert.equal(threads({ OMP_NUM_THREADS: "1" }), 1);
  assert.equal(threads({ OMP_NUM_THREADS: "1", FACELAB_THREADS: "3" }), 3);
  assert.equal(threads({ FACELAB_THREADS: "2" }), 2);
  // Not a positive integer: ignored, the default (every core the machine reports).
  const every = threads({});
  assert.ok(every >= 1, `${every}`);
  assert.equal(threads({ OMP_NUM_THREADS: "zero" }), every);
  assert.equal(threads({ OMP_NUM_THREADS: "0", FACELAB_THREADS: "-2" }), every);
});

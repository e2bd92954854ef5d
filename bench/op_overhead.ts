// Per-op overhead: a tiny elementwise add (2 floats) called many times, facelab vs PyTorch, so the
// fixed cost of crossing into LibTorch is visible apart from kernel time.
// Run: node --import tsx bench/op_overhead.ts [calls]
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { ones, tidy } from "../src/torch/index.js";

const calls = Number(process.argv[2] ?? 20000);
const a = ones([2]);
const b = ones([2]);
const run = () =>
  tidy(() => {
    for (let i = 0; i < calls; i++) a.add(b);
  });
run(); // warm up (op lookup, JIT)
const t0 = performance.now();
run();
const facelabUs = ((performance.now() - t0) * 1000) / calls;

const py = `
import time, torch
torch.set_num_threads(1)
a = torch.ones(2); b = torch.ones(2)
for _ in range(${calls}): a.add(b)
t0 = time.perf_counter()
for _ in range(${calls}): a.add(b)
print((time.perf_counter() - t0) * 1e6 / ${calls})`;
const res = spawnSync("/usr/bin/python3", ["-c", py], { encoding: "utf8" });
const torchUs = Number(res.stdout.trim());
console.log(
  `per-op overhead (tiny add, incl. allocating the result): facelab ${facelabUs.toFixed(2)} µs, PyTorch ${torchUs.toFixed(2)} µs`,
);

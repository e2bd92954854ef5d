// `facelab launch --backend nccl` on a build without NCCL stops before starting any worker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { buildInfo } from "../../src/torch/index.js";

test("launch --backend nccl without NCCL names what this build has", {
  skip: buildInfo().nccl && "this build has NCCL",
}, () => {
  const r = spawnSync(
    process.execPath,
    ["bin/facelab.js", "launch", "--nproc", "2", "--backend", "nccl", "--", "train", "x"],
    {
      encoding: "utf8",
      env: { ...process.env, FACELAB_THREADS: "1", FACELAB_QUIET: "1" },
    },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /launch --backend nccl: this build has gloo \(nccl needs a CUDA build/);
  assert.doesNotMatch(r.stdout + r.stderr, /\[rank 0\]/, "no worker was started");
});

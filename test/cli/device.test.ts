// `device: cuda` on a build or machine without CUDA: simclr run, train and bias-study stop before
// they create anything, with an error that names the setting (issue #11).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { cudaUnavailableReason } from "../../src/torch/index.js";

const noCuda = cudaUnavailableReason();
const commands: [string, string[]][] = [
  ["simclr run", ["simclr", "run", "simclr-faces-synthetic"]],
  ["train", ["train", "--config", "train-faces-arcface"]],
  ["bias-study", ["bias-study", "--config", "bias-synthetic"]],
];

for (const [name, args] of commands)
  test(`${name} --set device=cuda without CUDA: a clear error, no run directory`, {
    skip: noCuda === null && "CUDA is available here",
  }, () => {
    const runs = mkdtempSync(join(tmpdir(), "facelab-cli-device-"));
    try {
      const r = spawnSync(process.execPath, ["bin/facelab.js", ...args, "--set", "device=cuda", "--runs", runs], {
        encoding: "utf8",
        env: { ...process.env, FACELAB_THREADS: "1", FACELAB_QUIET: "1" },
      });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /device: cuda was requested but (this facelab build has no CUDA|there is no CUDA device)/);
      assert.deepEqual(readdirSync(runs), [], "nothing was created under --runs");
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  });

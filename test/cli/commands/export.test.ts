// `facelab export` as a command: registered in the CLI, writes the file and prints the PyTorch recipe;
// a bad argument is one clear line and exit code 1. Loading into torchvision is tested in
// test/models/export.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BasicBlock, resnet } from "../../../src/models/resnet.js";
import { saveModule } from "../../../src/torch/serialization.js";

const dir = mkdtempSync(join(tmpdir(), "facelab-export-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const facelab = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/facelab.js", "export", ...args], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });

describe("facelab export", () => {
  it("writes the backbone of a checkpoint and prints how PyTorch loads it", () => {
    const m = resnet(BasicBlock, [1, 1, 1, 1], { numClasses: 10, cifarStem: true });
    saveModule(m, join(dir, "model.safetensors"));
    m.dispose();
    const out = join(dir, "backbone.safetensors");
    const r = facelab(join(dir, "model.safetensors"), "--backbone", out);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(out));
    assert.match(r.stdout, /wrote .*backbone\.safetensors: \d+ tensors of ResNet\(BasicBlock, \[1,1,1,1\]\)/);
    assert.match(r.stdout, /load it in PyTorch:\n {2}import torch, torchvision/);
  });

  it("a missing checkpoint and a missing --backbone are errors that say so", () => {
    const r = facelab(join(dir, "none.safetensors"), "--backbone", join(dir, "x.safetensors"));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /facelab: export: .*none\.safetensors does not exist/);
    const r2 = facelab(join(dir, "model.safetensors"));
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /required option '--backbone <file>' not specified/);
  });
});

// `facelab train --stop-after N` then `--resume <runDir>` as commands: the first stops and names the
// run to resume, the second reads that run's config.yaml and checkpoints and finishes the training
// (result equality with an uninterrupted run: test/studies/supervised/recipe.test.ts). Bad
// arguments are one clear line and exit code 1.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const dir = mkdtempSync(join(tmpdir(), "facelab-train-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const facelab = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/facelab.js", "train", "--runs", join(dir, "runs"), ...args], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1", FACELAB_CACHE: join(dir, "cache"), FACELAB_QUIET: "1" },
  });

describe("facelab train --stop-after / --resume", () => {
  it("stops after epoch 1, then resumes from the run it names and finishes", () => {
    const cfg = join(dir, "tiny.yaml");
    writeFileSync(
      cfg,
      [
        "name: tiny",
        "data: { dataset: synthetic-faces, identities: 4, imagesPerIdentity: 4, imageSize: 16 }",
        "model: { backbone: convnet, width: 4, embeddingDim: 8 }",
        "loss: { name: ring, weight: 0.01 }",
        "train: { epochs: 2, batchSize: 4, lr: 0.05, warmupEpochs: 0 }",
      ].join("\n"),
    );
    const first = facelab("--config", cfg, "--stop-after", "1");
    assert.equal(first.status, 0, first.stderr);
    const m = /stopped after epoch 1 as asked; resume with --resume (\S+)/.exec(first.stdout);
    assert.ok(m, first.stdout);
    const second = facelab("--resume", m[1] as string);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /test accuracy \d+\.\d\d%/);
    assert.match(second.stdout, /^run: /m);
  });

  it("--help lists every configs/train-*.yaml recipe, read from the folder", () => {
    const help = facelab("--help");
    assert.equal(help.status, 0, help.stderr);
    const text = help.stdout.replace(/\s+/g, " ");
    const recipes = readdirSync("configs").filter((f) => /^train-.*\.yaml$/.test(f));
    assert.ok(recipes.includes("train-fmnist-asoftmax.yaml"), "the folder has the Fashion-MNIST recipes");
    for (const f of recipes) assert.ok(text.includes(f.replace(/\.yaml$/, "")), `${f} in: ${text}`);
  });

  it("bad arguments name the option", () => {
    const none = facelab();
    assert.equal(none.status, 1);
    assert.match(none.stderr, /train needs --config <recipe\|file> \(or --resume <runDir>\)/);
    const noRun = facelab("--resume", join(dir, "nowhere"));
    assert.equal(noRun.status, 1);
    assert.match(noRun.stderr, /--resume .*nowhere: no config\.yaml there/);
    const zero = facelab("--config", "train-fashion-mnist-ring", "--stop-after", "0");
    assert.equal(zero.status, 1);
    assert.match(zero.stderr, /--stop-after must be a positive integer, got '0'/);
  });
});

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CheckpointDir } from "../../src/torch/checkpoints.js";

const root = mkdtempSync(join(tmpdir(), "facelab-checkpoints-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("checkpoints keep the last N steps and write atomically", () => {
  const ck = new CheckpointDir(join(root, "ck"), { keepLast: 2 });
  for (const step of [10, 20, 30]) {
    ck.save(step, new Uint8Array([step]));
    ck.save(step, new Uint8Array([step, 1]), ".optim.safetensors");
  }
  assert.deepEqual(readdirSync(ck.dir).sort(), [
    "step-00000020.optim.safetensors",
    "step-00000020.safetensors",
    "step-00000030.optim.safetensors",
    "step-00000030.safetensors",
  ]);
  assert.equal(ck.latest()!.step, 30);
  assert.ok(!existsSync(`${ck.pathFor(30)}.tmp`));
  assert.throws(() => new CheckpointDir(join(root, "ck2"), { keepLast: 0 }), /keepLast/);
});

test("checkpoint paths are zero-padded step numbers and reject bad steps", () => {
  const ck = new CheckpointDir(join(root, "ck3"));
  assert.equal(ck.pathFor(1200, ".json"), join(ck.dir, "step-00001200.json"));
  assert.throws(() => ck.pathFor(-1), /non-negative integer, got -1/);
  assert.throws(() => ck.pathFor(2.5), /non-negative integer, got 2.5/);
  assert.deepEqual(ck.list(), []);
  assert.equal(ck.latest(), undefined);
});

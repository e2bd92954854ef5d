import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { liveTensors, tidy } from "../../src/torch/index.js";
import { AdamW, WarmupCosineLR } from "../../src/torch/optim/index.js";
import { loadFileWithMetadata, saveFile } from "../../src/torch/safetensors.js";
import { flattenOptimizerState, unflattenOptimizerState } from "../../src/torch/serialization.js";
import { makeParams, setGrads } from "./optim/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "facelab-ser-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("optimizer state through safetensors", () => {
  it("AdamW + warmup-cosine resume bit-exactly from a file", () => {
    const before = liveTensors();
    const path = join(dir, "opt.safetensors");
    const [w, b] = makeParams();
    const opt = new AdamW([w, b], { lr: 0.01 });
    const sched = new WarmupCosineLR(opt, { warmupSteps: 2, totalSteps: 10 });
    for (const k of [0, 1]) {
      setGrads(w, b, k);
      opt.step();
      sched.step();
    }
    tidy(() => {
      const flat = flattenOptimizerState(opt.stateDict(), sched.stateDict());
      saveFile(flat.tensors, path, flat.metadata);
    });
    const [w2, b2] = makeParams();
    tidy(() => {
      w2.detach().copy_(w);
      b2.detach().copy_(b);
    });
    const opt2 = new AdamW([w2, b2], { lr: 0.01 });
    const sched2 = new WarmupCosineLR(opt2, { warmupSteps: 2, totalSteps: 10 });
    tidy(() => {
      const restored = unflattenOptimizerState(loadFileWithMetadata(path));
      assert.equal(restored.optimizer.state[0]?.step, 2);
      opt2.loadStateDict(restored.optimizer);
      sched2.loadStateDict(restored.scheduler as never);
    });
    assert.equal(sched2.lastStep, 2);
    assert.equal(opt2.paramGroups[0]?.lr, opt.paramGroups[0]?.lr);
    setGrads(w, b, 2);
    setGrads(w2, b2, 2);
    opt.step();
    opt2.step();
    assert.deepEqual(w2.toNumbers(), w.toNumbers());
    assert.deepEqual(b2.toNumbers(), b.toNumbers());
    for (const t of [w, b, w2, b2]) t.dispose();
    opt.dispose();
    opt2.dispose();
    assert.equal(liveTensors(), before);
  });

  it("a file without optimizer state is a clear error", () => {
    assert.throws(() => unflattenOptimizerState({ tensors: new Map(), metadata: {} }), /no optimizer state/);
  });
});

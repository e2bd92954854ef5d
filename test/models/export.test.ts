// Backbone export (src/models/export.ts, `facelab export --backbone`): the encoder of a SimCLR run,
// a classifier checkpoint and a recognizer's backbone, written with torchvision names, load into
// torchvision.models (Debian's /usr/bin/python3, torch 1.13) by the very recipe the export prints,
// and PyTorch's forward equals facelab's encoder output (the oracle). Bad checkpoints are refused
// with every problem named.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { exportBackbone, resolveCheckpoint } from "../../src/cli/commands/export.js";
import { torchvisionBackbone } from "../../src/models/export.js";
import { BasicBlock, type ResNet, resnet, resnet18 } from "../../src/models/resnet.js";
import { manualSeed, noGrad, randn, type Tensor, tidy } from "../../src/torch/index.js";
import { loadFileWithMetadata, saveFile } from "../../src/torch/safetensors.js";
import { leakCheckEachTest } from "../torch/helpers.js";

leakCheckEachTest();

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "facelab-export-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Trains BN running statistics away from their defaults with one training-mode pass, then evaluates. */
function evalOutput(m: ResNet, x: Tensor, features: boolean): Tensor {
  noGrad(() => m.call(x).dispose());
  m.eval();
  return noGrad(() => (features ? m.features(x) : m.call(x)));
}

/** A state dict with a prefix and extra (non-encoder) tensors, as a method's checkpoint holds. */
function withPrefix(m: ResNet, prefix: string, extra: Record<string, number[]>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of m.stateDict()) out.set(`${prefix}${k}`, v);
  for (const [k, shape] of Object.entries(extra)) out.set(k, randn(shape));
  return out;
}

const disposeAll = (m: Map<string, Tensor>) => {
  for (const t of m.values()) t.dispose();
};

describe("facelab export --backbone loads into torchvision (PyTorch oracle)", () => {
  it("SimCLR run (encoder.*), classifier file (fc dropped), recognizer backbone (custom, 1 channel)", () => {
    manualSeed(7);
    const pairs: string[] = [];
    const expected: { shape: number[] }[] = [];
    const lines: string[][] = [];

    // A: a SimCLR run dir; the newest of two model checkpoints, not the .train file, is exported.
    const run = join(dir, "simclr-run");
    mkdirSync(join(run, "checkpoints"), { recursive: true });
    tidy(() => {
      const enc = resnet18({ numClasses: 0, cifarStem: true });
      const x = randn([2, 3, 32, 32]);
      const y = evalOutput(enc, x, false);
      const state = withPrefix(enc, "encoder.", { "head.0.weight": [8, 512], "head.2.weight": [4, 8] });
      saveFile({ junk: randn([2]) }, join(run, "checkpoints", "step-00000001.safetensors"));
      saveFile(state, join(run, "checkpoints", "step-00000002.safetensors"));
      saveFile({ "probe.weight": randn([2]) }, join(run, "checkpoints", "step-00000002.train.safetensors"));
      saveFile({ x, y }, join(dir, "a.io.safetensors"));
      expected.push({ shape: y.shape });
      disposeAll(state);
      enc.dispose();
    });
    lines.push(exportBackbone(run, join(dir, "a.safetensors")));
    pairs.push(join(dir, "a.safetensors"), join(dir, "a.io.safetensors"));

    // B: a classifier checkpoint file (no prefix, ImageNet stem): fc is left out, features compared.
    tidy(() => {
      const m = resnet18({ numClasses: 10 });
      const x = randn([2, 3, 64, 64]);
      const y = evalOutput(m, x, true);
      const state = m.stateDict();
      saveFile(state, join(dir, "classifier.safetensors"));
      saveFile({ x, y }, join(dir, "b.io.safetensors"));
      expected.push({ shape: y.shape });
      disposeAll(state);
      m.dispose();
    });
    lines.push(exportBackbone(join(dir, "classifier.safetensors"), join(dir, "b.safetensors")));
    pairs.push(join(dir, "b.safetensors"), join(dir, "b.io.safetensors"));

    // C: a recognizer (backbone.*, embedding, head) on 1-channel images with one block per stage.
    tidy(() => {
      const enc = resnet(BasicBlock, [1, 1, 1, 1], { numClasses: 0, cifarStem: true, inChannels: 1 });
      const x = randn([3, 1, 28, 28]);
      const y = evalOutput(enc, x, false);
      const state = withPrefix(enc, "backbone.", { "embedding.weight": [16, 512], "head.weight": [5, 16] });
      saveFile(state, join(dir, "recognizer.safetensors"));
      saveFile({ x, y }, join(dir, "c.io.safetensors"));
      expected.push({ shape: y.shape });
      disposeAll(state);
      enc.dispose();
    });
    lines.push(exportBackbone(join(dir, "recognizer.safetensors"), join(dir, "c.safetensors")));
    pairs.push(join(dir, "c.safetensors"), join(dir, "c.io.safetensors"));

    const out = execFileSync("/usr/bin/python3", [here("./backbone_load_check.py"), ...pairs], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    });
    const results = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { maxAbsDiff: number; maxAbs: number; shape: number[] });
    assert.equal(results.length, 3, out);
    results.forEach((r, i) => {
      assert.deepEqual(r.shape, expected[i]?.shape);
      // float32 kernels differ between the two builds only in summation order
      assert.ok(r.maxAbsDiff <= 1e-4 * Math.max(1, r.maxAbs), `case ${"ABC"[i]}: PyTorch differs by ${r.maxAbsDiff}`);
    });

    // What the export says, and what it leaves out, per case (hand-listed).
    const a = loadFileWithMetadata(join(dir, "a.safetensors"));
    assert.equal(a.metadata.arch, "resnet18");
    assert.equal(a.metadata.cifar_stem, "true");
    assert.equal(a.metadata.source_prefix, "encoder.");
    assert.ok(![...a.tensors.keys()].some((k) => k.startsWith("head.") || k.startsWith("fc.")));
    disposeAll(a.tensors);
    assert.match(lines[0]?.join("\n") ?? "", /CIFAR stem: conv1 is 3×3 stride 1/);
    assert.match(lines[0]?.join("\n") ?? "", /step-00000002\.safetensors/);
    const b = lines[1]?.join("\n") ?? "";
    assert.doesNotMatch(b, /CIFAR stem|input channel/);
    assert.match(b, /m = torchvision\.models\.resnet18\(\)/);
    assert.doesNotMatch(b, /m\.conv1 =/);
    const c = lines[2]?.join("\n") ?? "";
    assert.match(c, /ResNet\(torchvision\.models\.resnet\.BasicBlock, \[1, 1, 1, 1\]\)/);
    assert.match(c, /m\.conv1 = torch\.nn\.Conv2d\(1, 64, kernel_size=3, stride=1, padding=1, bias=False\)/);
  });
});

describe("refusals name the problem", () => {
  it("a checkpoint without a ResNet, a missing tensor, an unknown prefix, an empty run dir", () => {
    const conv = new Map([
      ["backbone.features.0.weight", randn([16, 3, 3, 3])],
      ["backbone.features.1.weight", randn([16])],
    ]);
    assert.throws(
      () => torchvisionBackbone(conv, { where: "x.safetensors" }),
      /x\.safetensors: no torchvision-style ResNet/,
    );
    disposeAll(conv);

    const enc = resnet(BasicBlock, [1, 1, 1, 1], { numClasses: 0, cifarStem: true, widthMultiplier: 0.25 });
    const state = withPrefix(enc, "encoder.", {});
    state.get("encoder.layer4.0.bn2.running_var")?.dispose();
    state.delete("encoder.layer4.0.bn2.running_var");
    assert.throws(() => torchvisionBackbone(state), /missing layer4\.0\.bn2\.running_var/);
    assert.throws(() => torchvisionBackbone(state, { prefix: "online" }), /no ResNet under prefix "online\."/);
    disposeAll(state);

    // BYOL-style: the online encoder is exported, its momentum copy is not.
    const two = new Map([...withPrefix(enc, "online.encoder.", {}), ...withPrefix(enc, "target.encoder.", {})]);
    assert.equal(torchvisionBackbone(two).prefix, "online.encoder.");
    disposeAll(two);
    enc.dispose();

    mkdirSync(join(dir, "empty-run", "checkpoints"), { recursive: true });
    assert.throws(() => resolveCheckpoint(join(dir, "empty-run")), /no checkpoints\/step-\*\.safetensors/);
    assert.throws(() => resolveCheckpoint(join(dir, "nope")), /does not exist/);
  });
});

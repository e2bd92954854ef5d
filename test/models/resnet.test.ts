import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type ResNet, resnet18, resnet34, resnet50 } from "../../src/models/resnet.js";
import { liveTensors, manualSeed, noGrad, randn, type Tensor, tidy } from "../../src/torch/index.js";
import { LARS } from "../../src/torch/optim/index.js";
import { loadFile, saveFile } from "../../src/torch/safetensors.js";
import { loadModule, saveModule } from "../../src/torch/serialization.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const fixture = JSON.parse(readFileSync(here("./fixtures/torchvision_resnet_keys.json"), "utf8")) as Record<
  string,
  [string, number[]][]
>;
const dir = mkdtempSync(join(tmpdir(), "facelab-resnet-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function keysAndShapes(m: ResNet): [string, number[]][] {
  return tidy(() => [...m.stateDict()].map(([k, t]) => [k, t.shape] as [string, number[]]));
}

describe("ResNet", () => {
  it("state_dict keys and shapes of resnet18/resnet50 equal torchvision's, in order", () => {
    const before = liveTensors();
    for (const [name, make] of [
      ["resnet18", resnet18],
      ["resnet50", resnet50],
    ] as const) {
      const m = make();
      assert.deepEqual(keysAndShapes(m), fixture[name], name);
      m.dispose();
    }
    assert.equal(liveTensors(), before);
  });

  it("output shapes, features, featureDim and the options", () => {
    const before = liveTensors();
    tidy(() =>
      noGrad(() => {
        const m = resnet18({ cifarStem: true, numClasses: 10 });
        const x = randn([2, 3, 32, 32]);
        assert.deepEqual(m.call(x).shape, [2, 10]);
        assert.deepEqual(m.features(x).shape, [2, 512]);
        assert.equal(m.featureDim, 512);
        assert.deepEqual(m.conv1.weight.shape, [64, 3, 3, 3]);
        m.dispose();

        const headless = resnet18({ numClasses: 0, inChannels: 1, widthMultiplier: 0.5 });
        assert.equal(headless.featureDim, 256);
        assert.deepEqual(headless.call(randn([3, 1, 64, 64])).shape, [3, 256]);
        assert.ok(![...headless.stateDict().keys()].some((k) => k.startsWith("fc.")), "no fc keys without classes");
        assert.throws(
          () => headless.call(randn([3, 3, 64, 64])),
          /expects input \(N, 1, H, W\) but received shape \[3,3,64,64\]/,
        );
        headless.dispose();

        const r50 = resnet50({ numClasses: 0, widthMultiplier: 0.25, cifarStem: true });
        assert.equal(r50.featureDim, 512); // 2048 × 0.25
        assert.deepEqual(r50.call(randn([2, 3, 16, 16])).shape, [2, 512]);
        r50.dispose();
        const r34 = resnet34({ numClasses: 5, widthMultiplier: 0.25 });
        // 1 stem + 32 block + 3 downsample convs, as many BNs (γ and β each), fc weight and bias.
        assert.equal(r34.parameters().length, 36 + 36 * 2 + 2);
        r34.dispose();
        assert.throws(() => resnet18({ widthMultiplier: 0 }), /widthMultiplier must be > 0/);
      }),
    );
    assert.equal(liveTensors(), before);
  });

  it("layers [1,1,1,1] gives one block per stage: issue #15's 0.31 M-parameter reference net", () => {
    const before = liveTensors();
    const m = resnet18({ layers: [1, 1, 1, 1], widthMultiplier: 0.25, inChannels: 1, cifarStem: true, numClasses: 0 });
    const keys = [...m.namedParameters()].map(([k]) => k);
    assert.ok(keys.includes("layer4.0.conv2.weight") && !keys.some((k) => k.startsWith("layer1.1.")));
    // Hand count (conv k·k·in·out, BN γ+β = 2·C): stem 144+32; layer1 2·2304+2·32; layer2 4608+9216+
    // 2·64+512+64 (downsample); layer3 18432+36864+2·128+2048+128; layer4 73728+147456+2·256+8192+256.
    const n = [...m.parameters()].reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(n, 307248);
    assert.equal(m.featureDim, 128);
    const y = tidy(() => m.call(randn([2, 1, 32, 32])).shape);
    assert.deepEqual(y, [2, 128]);
    assert.throws(() => resnet18({ layers: [1, 0, 1, 1] }), /layers must be 4 integers ≥ 1/);
    m.dispose();
    assert.equal(liveTensors(), before);
  });

  it("zeroInitResidual makes every block start as the identity (relu(x + shortcut))", () => {
    tidy(() =>
      noGrad(() => {
        const m = resnet18({ zeroInitResidual: true, numClasses: 0 });
        const layer1 = m.getChild("layer1") as unknown as {
          at(i: number): { call(x: Tensor): Tensor; bn2: { weight: Tensor } };
        };
        assert.equal(layer1.at(0).bn2.weight.abs().sum().item(), 0);
        m.eval();
        const x = randn([1, 64, 8, 8]).relu();
        const y = layer1.at(0).call(x);
        assert.equal(y.sub(x).abs().max().item(), 0);
        const r50 = resnet50({ zeroInitResidual: true, widthMultiplier: 0.25 });
        const blk = (r50.getChild("layer2") as unknown as { at(i: number): { bn3: { weight: Tensor } } }).at(1);
        assert.equal(blk.bn3.weight.abs().sum().item(), 0);
        m.dispose();
        r50.dispose();
      }),
    );
  });

  it("with the same seed the initial weights equal torchvision's", () => {
    manualSeed(0);
    const m = resnet18({ numClasses: 10 });
    const fc = m.fc as unknown as { weight: Tensor; bias: Tensor };
    const blk = (m.getChild("layer4") as unknown as { at(i: number): { conv2: { weight: Tensor } } }).at(1);
    const got = tidy(() => [m.conv1.weight, fc.weight, blk.conv2.weight, fc.bias].map((t) => t.sum().item()));
    m.dispose();
    // torch.manual_seed(0); m = torchvision.models.resnet18(num_classes=10); then the sums of
    // conv1.weight, fc.weight, layer4[1].conv2.weight, fc.bias (/usr/bin/python3, torch 1.13):
    // Same draws; the sums may differ in the last float32 bits with the thread count (reduction order).
    const want = [-0.6737563014030457, 0.8813121318817139, 6.769155502319336, 0.031099334359169006];
    for (const [i, g] of got.entries())
      assert.ok(Math.abs(g - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!)), `sum ${i}: ${g} vs ${want[i]}`);
  });

  for (const [arch, cifar] of [
    ["resnet18", true],
    ["resnet50", false],
  ] as const) {
    it(`${arch}${cifar ? " (CIFAR stem)" : ""} loaded from a torchvision state dict gives PyTorch's logits`, () => {
      const path = join(dir, `${arch}.safetensors`);
      execFileSync("/usr/bin/python3", [here("./export_torchvision.py"), path, arch, ...(cifar ? ["cifar"] : [])]);
      const before = liveTensors();
      tidy(() => {
        const file = loadFile(path);
        const state = new Map([...file].filter(([k]) => k.startsWith("model.")).map(([k, v]) => [k.slice(6), v]));
        const m = (arch === "resnet18" ? resnet18 : resnet50)({ numClasses: 10, cifarStem: cifar });
        const res = m.loadStateDict(state);
        assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
        const x = file.get("x") as Tensor;
        noGrad(() => {
          m.eval();
          const diff = m
            .call(x)
            .sub(file.get("eval_logits") as Tensor)
            .abs()
            .max()
            .item();
          assert.ok(diff < 1e-4, `eval logits differ by ${diff}`);
          m.train();
          const diffTrain = m
            .call(x)
            .sub(file.get("train_logits") as Tensor)
            .abs()
            .max()
            .item();
          assert.ok(diffTrain < 1e-4, `train-mode logits differ by ${diffTrain}`);
          const rm = m.bn1.runningMean as Tensor;
          const diffStats = rm
            .sub(file.get("bn1_running_mean_after_train") as Tensor)
            .abs()
            .max()
            .item();
          assert.ok(diffStats < 1e-5, `running mean after a training forward differs by ${diffStats}`);
        });
        m.dispose();
      });
      assert.equal(liveTensors(), before);
    });
  }

  it("a saved model loads into torchvision (strict) and PyTorch computes the same logits", () => {
    const path = join(dir, "facelab-resnet18.safetensors");
    const xPath = join(dir, "x.safetensors");
    const before = liveTensors();
    tidy(() => {
      manualSeed(3);
      const m = resnet18({ numClasses: 10 });
      const x = randn([2, 3, 64, 64]);
      m.call(x); // one training-mode forward so the BN running statistics are not the defaults
      m.eval();
      const logits = noGrad(() => m.call(x));
      saveModule(m, path, { arch: "resnet18" });
      saveFile({ x, logits }, xPath);
      const py = [
        "import sys, torch, torchvision",
        `sys.path.insert(0, ${JSON.stringify(here("../torch"))})`,
        "from safetensors_io import read_file",
        `sd, meta = read_file(${JSON.stringify(path)})`,
        `io, _ = read_file(${JSON.stringify(xPath)})`,
        "m = torchvision.models.resnet18(num_classes=10)",
        "m.load_state_dict(sd, strict=True)",
        "m.eval()",
        "with torch.no_grad(): print((m(io['x']) - io['logits']).abs().max().item(), meta['format'])",
      ].join("\n");
      const [diff, format] = execFileSync("/usr/bin/python3", ["-c", py], { encoding: "utf8" }).trim().split(" ");
      assert.ok(Number(diff) < 1e-4, `PyTorch logits differ by ${diff}`);
      assert.equal(format, "pt");
      // And back into facelab: a fresh model gives the same logits; unknown keys are refused.
      const m2 = resnet18({ numClasses: 10 }).eval();
      assert.deepEqual(loadModule(m2, path), { missingKeys: [], unexpectedKeys: [] });
      assert.equal(
        noGrad(() => m2.call(x))
          .sub(logits)
          .abs()
          .max()
          .item(),
        0,
      );
      const small = resnet18({ numClasses: 5 });
      assert.throws(() => loadModule(small, path), /size mismatch for fc.weight/);
      m.dispose();
      m2.dispose();
      small.dispose();
    });
    assert.equal(liveTensors(), before);
  });

  it("LARS over namedParameters() excludes exactly the BN γ/β and the biases", () => {
    const m = resnet18({ numClasses: 10, widthMultiplier: 0.25 });
    const opt = new LARS(m.namedParameters(), { lr: 1, weightDecay: 1e-6 });
    const decayed = m
      .namedParameters()
      .filter(([, p]) => opt.exclusions(p).weightDecay)
      .map(([k]) => k);
    // 1 stem + 16 block + 3 downsample conv weights, and fc.weight.
    assert.equal(decayed.length, 21);
    assert.ok(
      decayed.every(
        (k) =>
          k.endsWith("conv1.weight") ||
          k.endsWith("conv2.weight") ||
          k.endsWith("downsample.0.weight") ||
          k === "fc.weight",
      ),
    );
    assert.ok(
      m.namedParameters().every(([, p]) => opt.exclusions(p).weightDecay === opt.exclusions(p).layerAdaptation),
    );
    opt.dispose();
    m.dispose();
  });

  it("a training step runs and frees everything but parameters, buffers and optimizer state", () => {
    const m = resnet18({ cifarStem: true, numClasses: 10, widthMultiplier: 0.25 });
    const before = liveTensors();
    for (let i = 0; i < 3; i++) {
      tidy(() => {
        const loss = m
          .call(randn([4, 3, 16, 16]))
          .logsumexp(1)
          .mean();
        loss.backward();
      });
      m.zeroGrad();
    }
    assert.equal(liveTensors(), before);
    m.dispose();
  });
});

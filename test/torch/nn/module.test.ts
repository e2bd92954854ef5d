// nn.Module: registration and PyTorch state_dict names, loading, modes, freezing, device/dtype
// moves, disposal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  cuda,
  F,
  liveTensors,
  manualSeed,
  nn,
  noGrad,
  ones,
  randn,
  type Tensor,
  TorchError,
  tidy,
  zeros,
} from "../../../src/torch/index.js";
import { assertClose, assertNoLeak, leakCheckEachTest } from "../helpers.js";

leakCheckEachTest();

/** A torchvision-style residual block: conv1/bn1/conv2/bn2 and an optional downsample Sequential. */
class Block extends nn.Module {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;
  constructor(cin: number, cout: number) {
    super();
    this.conv1 = this.registerModule("conv1", new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false }));
    this.bn1 = this.registerModule("bn1", new nn.BatchNorm2d(cout));
    this.conv2 = this.registerModule("conv2", new nn.Conv2d(cout, cout, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule("bn2", new nn.BatchNorm2d(cout));
    this.downsample =
      cin === cout
        ? null
        : this.registerModule(
            "downsample",
            new nn.Sequential(new nn.Conv2d(cin, cout, 1, { bias: false }), new nn.BatchNorm2d(cout)),
          );
  }
  forward(x: Tensor): Tensor {
    const y = this.bn2.call(this.conv2.call(F.relu(this.bn1.call(this.conv1.call(x)))));
    return F.relu(y.add(this.downsample ? this.downsample.call(x) : x));
  }
}

class Net extends nn.Module {
  readonly conv1 = this.registerModule("conv1", new nn.Conv2d(3, 4, 3, { padding: 1 }));
  readonly layer1 = this.registerModule("layer1", new nn.Sequential(new Block(4, 4), new Block(4, 8)));
  readonly pool = this.registerModule("pool", new nn.AdaptiveAvgPool2d(1));
  readonly fc = this.registerModule("fc", new nn.Linear(8, 3));
  forward(x: Tensor): Tensor {
    return this.fc.call(this.pool.call(this.layer1.call(this.conv1.call(x))).flatten(1));
  }
}

const bnKeys = (p: string) => [
  `${p}.weight`,
  `${p}.bias`,
  `${p}.running_mean`,
  `${p}.running_var`,
  `${p}.num_batches_tracked`,
];
// The order PyTorch's state_dict() gives for the same structure: own params, own buffers, then children.
const EXPECTED_KEYS = [
  "conv1.weight",
  "conv1.bias",
  "layer1.0.conv1.weight",
  ...bnKeys("layer1.0.bn1"),
  "layer1.0.conv2.weight",
  ...bnKeys("layer1.0.bn2"),
  "layer1.1.conv1.weight",
  ...bnKeys("layer1.1.bn1"),
  "layer1.1.conv2.weight",
  ...bnKeys("layer1.1.bn2"),
  "layer1.1.downsample.0.weight",
  ...bnKeys("layer1.1.downsample.1"),
  "fc.weight",
  "fc.bias",
];

describe("names", () => {
  test("stateDict keys and dtypes follow PyTorch (num_batches_tracked is int64)", () => {
    using net = new Net();
    const sd = net.stateDict({ keepVars: true });
    assert.deepEqual([...sd.keys()], EXPECTED_KEYS);
    assert.equal(sd.get("layer1.0.bn1.num_batches_tracked")?.dtype, "int64");
    assert.deepEqual(sd.get("layer1.0.bn1.num_batches_tracked")?.shape, []);
    assert.equal(sd.get("layer1.1.downsample.0.weight")?.dtype, "float32");
    assert.deepEqual(sd.get("layer1.1.downsample.0.weight")?.shape, [8, 4, 1, 1]);
  });

  test("namedParameters excludes buffers; namedBuffers lists running stats", () => {
    using net = new Net();
    const params = net.namedParameters().map(([k]) => k);
    assert.deepEqual(
      params,
      EXPECTED_KEYS.filter((k) => !/running_|num_batches/.test(k)),
    );
    assert.ok(net.parameters().every((p) => p.requiresGrad && p.isLeaf));
    const bufs = net.namedBuffers().map(([k]) => k);
    assert.equal(bufs.length, 5 * 3);
    assert.ok(bufs.includes("layer1.1.downsample.1.running_var"));
    assert.deepEqual(
      net.namedParameters(false).map(([k]) => k),
      [],
      "Net registers no parameters of its own",
    );
    assert.deepEqual(
      net.namedChildren().map(([k]) => k),
      ["conv1", "layer1", "pool", "fc"],
    );
    assert.deepEqual(
      net
        .namedModules()
        .map(([k]) => k)
        .slice(0, 5),
      ["", "conv1", "layer1", "layer1.0", "layer1.0.conv1"],
    );
    assert.ok(net.getChild("layer1") instanceof nn.Sequential);
  });

  test("a shared submodule: parameters listed once, state_dict keys under every path (as PyTorch)", () => {
    const lin = new nn.Linear(2, 2);
    using seq = new nn.Sequential(lin, new nn.ReLU(), lin);
    assert.equal(seq.parameters().length, 2);
    assert.deepEqual(
      seq.namedParameters().map(([k]) => k),
      ["0.weight", "0.bias"],
    );
    assert.deepEqual(
      seq.namedModules().map(([k]) => k),
      ["", "0", "1"],
    );
    // torch: nn.Sequential(l, nn.ReLU(), l).state_dict().keys() == ['0.weight', '0.bias', '2.weight', '2.bias']
    assert.deepEqual([...seq.stateDict({ keepVars: true }).keys()], ["0.weight", "0.bias", "2.weight", "2.bias"]);
    tidy(() => seq.loadStateDict(seq.stateDict()));
  });

  test("registration rejects duplicate and malformed names", () => {
    class Bad extends nn.Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    using m = new Bad();
    m.registerModule("a", new nn.ReLU());
    assert.throws(() => m.registerModule("a", new nn.ReLU()), /already has an attribute 'a'/);
    assert.throws(() => m.registerParameter("a.b", null), /name must be letters/);
    assert.throws(() => m.registerBuffer("", null), /name must be letters/);
    assert.throws(() => m.registerModule("self", m), /its own descendant/);
    tidy(() => {
      const nonLeaf = randn([2], { requiresGrad: true }).mul(2);
      assert.throws(() => m.registerParameter("w", nonLeaf), /parameter 'w' must be a leaf tensor/);
    });
    using outer = new nn.Sequential(new nn.ReLU());
    m.registerModule("outer", outer);
    assert.throws(() => outer.append(m), /its own descendant/);
  });

  test("toString prints the module tree like PyTorch", () => {
    using s = new nn.Sequential(new nn.Conv2d(3, 8, 3, { stride: 2, bias: false }), new nn.ReLU());
    assert.equal(
      s.toString(),
      "Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3,3), stride=(2,2), bias=False)\n  (1): ReLU()\n)",
    );
  });
});

describe("state dict load", () => {
  test("round trip copies every parameter and buffer", () => {
    manualSeed(1);
    using a = new Net();
    using b = new Net();
    tidy(() => {
      a.call(randn([2, 3, 6, 6])); // moves running stats and num_batches_tracked of a
      const r = b.loadStateDict(a.stateDict());
      assert.deepEqual(r, { missingKeys: [], unexpectedKeys: [] });
      const sa = a.stateDict();
      const sb = b.stateDict();
      for (const [k, t] of sa) assertClose(sb.get(k) as Tensor, t, { atol: 0, rtol: 0, what: k });
      assert.equal(sb.get("layer1.0.bn1.num_batches_tracked")?.item(), 1);
      // b's tensors are its own: later changes to a do not show in b
      noGrad(() => a.fc.weight.fill_(7));
      assert.notEqual(b.fc.weight.max().item(), 7);
      assert.ok(!b.fc.weight.isDisposed && b.fc.weight.requiresGrad && b.fc.weight.isLeaf);
    });
  });

  test("stateDict returns detached handles that share storage and may be disposed", () => {
    using lin = new nn.Linear(2, 2);
    const sd = lin.stateDict();
    const w = sd.get("weight") as Tensor;
    assert.equal(w.requiresGrad, false);
    noGrad(() => w.fill_(3).dispose());
    for (const t of sd.values()) t.dispose();
    assert.ok(!lin.weight.isDisposed);
    assert.equal(
      tidy(() => lin.weight.sum().item()),
      12,
    );
  });

  test("strict load names unexpected and missing keys and copies nothing", () =>
    tidy(() => {
      using lin = new nn.Linear(2, 2);
      const before = lin.weight.clone();
      const sd = new Map([
        ["weight", ones([2, 2])],
        ["bais", zeros([2])],
      ]);
      assert.throws(
        () => lin.loadStateDict(sd),
        (e: unknown) =>
          e instanceof TorchError &&
          /unexpected key\(s\): "bais"/.test(e.message) &&
          /missing key\(s\): "bias"/.test(e.message),
      );
      assertClose(lin.weight, before, { atol: 0, rtol: 0 });
      const r = lin.loadStateDict(sd, { strict: false });
      assert.deepEqual(r, { missingKeys: ["bias"], unexpectedKeys: ["bais"] });
      assertClose(lin.weight, [1, 1, 1, 1]);
    }));

  test("shape mismatch names the key and both shapes, even when not strict", () =>
    tidy(() => {
      using lin = new nn.Linear(2, 3);
      const sd = new Map([
        ["weight", ones([2, 2])],
        ["bias", zeros([3])],
      ]);
      assert.throws(() => lin.loadStateDict(sd, { strict: false }), /size mismatch for weight: .*\[2, 2\].*\[3, 2\]/);
      const gone = zeros([3]);
      gone.dispose();
      assert.throws(
        () =>
          lin.loadStateDict(
            new Map([
              ["weight", ones([3, 2])],
              ["bias", gone],
            ]),
          ),
        /"bias" has been disposed/,
      );
    }));

  test("a missing num_batches_tracked is filled with 0, as PyTorch does for unversioned state dicts", () =>
    tidy(() => {
      using bn = new nn.BatchNorm1d(2);
      bn.call(randn([4, 2]));
      const sd = bn.stateDict();
      sd.delete("num_batches_tracked");
      assert.deepEqual(bn.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
      assert.equal(bn.numBatchesTracked?.item(), 0);
      sd.delete("running_var");
      assert.throws(() => bn.loadStateDict(sd), /missing key\(s\): "running_var"$/);
    }));

  test("float32 values load into a float64 module (copy converts)", () =>
    tidy(() => {
      using lin = new nn.Linear(2, 1, { dtype: "float64" });
      lin.loadStateDict(
        new Map([
          ["weight", ones([1, 2])],
          ["bias", zeros([1])],
        ]),
      );
      assert.equal(lin.weight.dtype, "float64");
      assertClose(lin.call(ones([1, 2], { dtype: "float64" })), [2]);
    }));
});

describe("modes and bulk operations", () => {
  test("train()/eval() reach every descendant and change behaviour", () =>
    tidy(() => {
      using net = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout(0.5), new nn.BatchNorm1d(4));
      assert.ok(net.modules().every((m) => m.training));
      net.eval();
      assert.ok(net.modules().every((m) => !m.training));
      const x = randn([3, 4]);
      assertClose(net.call(x), net.call(x), { atol: 0, rtol: 0 }); // deterministic in eval
      const bn = net.at(2) as nn.BatchNorm1d;
      assert.equal(bn.numBatchesTracked?.item(), 0, "eval does not count batches");
      net.train();
      net.call(x);
      assert.equal(bn.numBatchesTracked?.item(), 1);
    }));

  test("apply visits children before parents and can re-initialise", () => {
    using net = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.Linear(2, 2)));
    const order: string[] = [];
    net.apply((m) => {
      order.push(m.constructor.name);
      if (m instanceof nn.Linear) nn.init.zeros_(m.weight);
    });
    assert.deepEqual(order, ["Linear", "Linear", "Sequential", "Sequential"]);
    for (const m of net.modules())
      if (m instanceof nn.Linear)
        assert.equal(
          tidy(() => m.weight.abs().sum().item()),
          0,
        );
  });

  test("requiresGrad_(false) freezes: frozen parameters get no gradient", () =>
    tidy(() => {
      using a = new nn.Linear(3, 3);
      using b = new nn.Linear(3, 1);
      a.requiresGrad_(false);
      assert.ok(a.parameters().every((p) => !p.requiresGrad));
      b.call(a.call(randn([2, 3])))
        .sum()
        .backward();
      assert.equal(a.weight.grad, null);
      assert.notEqual(b.weight.grad, null);
      a.requiresGrad_();
      assert.ok(a.weight.requiresGrad);
    }));

  test("zeroGrad sets gradients to null, or to zeros with setToNone=false", () =>
    tidy(() => {
      using lin = new nn.Linear(2, 2);
      lin
        .call(randn([1, 2]))
        .sum()
        .backward();
      assert.ok((lin.weight.grad as Tensor).abs().sum().item() > 0);
      lin.zeroGrad(false);
      assert.equal((lin.weight.grad as Tensor).abs().sum().item(), 0);
      lin.zeroGrad();
      assert.equal(lin.weight.grad, null);
      assert.equal(lin.bias?.grad, null);
    }));

  test("to(dtype) converts in place: same Tensor objects, integer buffers untouched", () =>
    tidy(() => {
      using net = new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2));
      const w = (net.at(0) as nn.Linear).weight;
      net
        .call(randn([3, 2]))
        .sum()
        .backward();
      net.to("float64");
      assert.equal(w, (net.at(0) as nn.Linear).weight);
      assert.equal(w.dtype, "float64");
      assert.equal(w.grad?.dtype, "float64", "gradients follow");
      assert.ok(w.requiresGrad && w.isLeaf);
      const bufs = new Map(net.namedBuffers());
      assert.equal(bufs.get("1.running_mean")?.dtype, "float64");
      assert.equal(bufs.get("1.num_batches_tracked")?.dtype, "int64");
      assert.equal(net.call(randn([3, 2], { dtype: "float64" })).dtype, "float64");
      net.to("cpu").float();
      assert.equal(w.dtype, "float32");
    }));

  test("to('cuda') moves parameters when CUDA is available", { skip: !cuda.isAvailable() && "no CUDA" }, () =>
    tidy(() => {
      using lin = new nn.Linear(2, 2);
      lin.to("cuda");
      assert.equal(lin.weight.device, "cuda:0");
      assert.equal(lin.call(randn([1, 2]).cuda()).device, "cuda:0");
    }),
  );
});

describe("memory", () => {
  test("a module built inside tidy survives it; dispose frees every tensor", async () => {
    await assertNoLeak(() => {
      const net = tidy(() => new Net());
      assert.ok(!net.conv1.weight.isDisposed);
      assert.ok(liveTensors() > 0);
      net.dispose();
      assert.ok(net.isDisposed && net.conv1.weight.isDisposed);
      assert.throws(() => tidy(() => net.call(zeros([1, 3, 4, 4]))), /Net has been disposed/);
    });
  });

  test("`using` disposes the module at the end of the block", () => {
    const start = liveTensors();
    let w: Tensor;
    {
      using lin = new nn.Linear(4, 4);
      w = lin.weight;
      assert.equal(liveTensors(), start + 2);
    }
    assert.ok(w.isDisposed);
    assert.equal(liveTensors(), start);
  });
});

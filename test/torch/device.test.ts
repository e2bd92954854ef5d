// Devices: the `device` setting checked against this build, channels-last modules equal to
// contiguous ones, backend flags, and the CUDA-only paths (skipped, with the reason, without CUDA).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  channelsLast,
  inMemoryFormat,
  moduleDevice,
  resolveDevice,
  setBackendFlags,
  setupCompute,
  toDevice,
  toHost,
} from "../../src/torch/device.js";
import { buildInfo, cudaUnavailableReason, manualSeed, nn, randn, type Tensor, tidy } from "../../src/torch/index.js";
import { leakCheckEachTest } from "./helpers.js";

leakCheckEachTest();
const noCuda = cudaUnavailableReason();

test("device settings: cpu passes, a malformed value names the setting", () => {
  assert.equal(resolveDevice("cpu"), "cpu");
  assert.throws(
    () => resolveDevice("gpu", "train.device"),
    /train\.device must be "cpu", "cuda" or "cuda:N"; got "gpu"/,
  );
  assert.throws(() => resolveDevice("cuda:x"), /device must be/);
});

test("device: cuda without CUDA is a clear error naming the setting", {
  skip: noCuda === null && "CUDA is available",
}, () => {
  const info = buildInfo();
  const expected = info.cudaBuilt
    ? /simclr\.device: cuda was requested but there is no CUDA device/
    : /simclr\.device: cuda was requested but this facelab build has no CUDA/;
  assert.throws(() => resolveDevice("cuda", "simclr.device"), expected);
  assert.throws(() => resolveDevice("cuda:1", "simclr.device"), /simclr\.device: cuda:1 was requested/);
});

function convNet(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.Conv2d(8, 8, 3, { padding: 1, stride: 2 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(8, 4),
  );
}

const maxAbs = (a: Tensor, b: Tensor): number => tidy(() => a.sub(b).abs().max().item());

test("channels-last: forward and backward equal contiguous within 1e-5, and the state dict round-trips", () => {
  manualSeed(4);
  using a = convNet();
  using b = convNet();
  tidy(() => b.loadStateDict(a.stateDict()));
  channelsLast(b);
  const conv = b.parameters()[0] as Tensor;
  assert.ok(conv.isContiguous("channelsLast") && !conv.isContiguous(), "4-D weights are in channels-last strides");
  tidy(() => {
    const x = randn([4, 3, 12, 12]);
    const ya = a.call(x);
    const xl = inMemoryFormat(x, "channels_last");
    assert.ok(xl.isContiguous("channelsLast"));
    const yb = b.call(xl);
    // Different loop orders in the kernels: equal up to float32 rounding (values are O(1)).
    assert.ok(maxAbs(ya, yb) < 1e-5, `forward differs by ${maxAbs(ya, yb)}`);
    ya.square().sum().backward();
    yb.square().sum().backward();
    const pa = a.parameters();
    const pb = b.parameters();
    for (let i = 0; i < pa.length; i++) {
      const d = maxAbs(pa[i]?.grad as Tensor, pb[i]?.grad as Tensor);
      assert.ok(d < 1e-4, `gradient ${i} differs by ${d}`);
    }
  });
  // Round trip: a channels-last model's state dict loads into a contiguous one with the same keys and values.
  using c = convNet();
  tidy(() => {
    const sd = b.stateDict();
    assert.deepEqual([...sd.keys()], [...a.stateDict().keys()]);
    c.loadStateDict(sd);
  });
  tidy(() => {
    c.eval();
    b.eval();
    const x = randn([2, 3, 12, 12]);
    assert.ok(maxAbs(c.call(x), b.call(inMemoryFormat(x, "channels_last"))) < 1e-5);
  });
});

test("deterministic and cuDNN benchmark flags are set and reported", () => {
  const before = setBackendFlags({});
  try {
    assert.deepEqual(setBackendFlags({ deterministic: true, cudnnBenchmark: true }), {
      deterministic: true,
      cudnnBenchmark: true,
    });
    assert.deepEqual(setBackendFlags({ deterministic: false }), { deterministic: false, cudnnBenchmark: true });
  } finally {
    setBackendFlags(before);
  }
});

test("host→CUDA copies through pinned memory keep the values", { skip: noCuda ?? false }, () => {
  tidy(() => {
    const x = randn([3, 5]);
    const y = toDevice(x, "cuda:0");
    assert.equal(y.device, "cuda:0");
    assert.equal(maxAbs(y.cpu(), x), 0);
  });
});

test("host→CPU toDevice and toHost of a host tensor are aliases", () => {
  tidy(() => {
    const x = randn([2, 2]);
    const [d, h] = [toDevice(x, "cpu"), toHost(x)];
    x.add_(1); // an alias shares the storage: the change shows through both
    assert.equal(maxAbs(d, x), 0);
    assert.equal(maxAbs(h, x), 0);
  });
});

test("toDevice reaches a non-CUDA device too (meta: shapes without data)", () => {
  tidy(() => {
    const m = toDevice(randn([2, 3]), "meta");
    assert.equal(m.device, "meta");
    assert.deepEqual(m.shape, [2, 3]);
    assert.throws(() => toHost(m), /meta/);
  });
});

test("moduleDevice is where a module's first parameter (else buffer) lives; cpu for one with neither", () => {
  using lin = new nn.Linear(3, 2);
  assert.equal(moduleDevice(lin), "cpu");
  using relu = new nn.ReLU();
  assert.equal(moduleDevice(relu), "cpu");
  // A module holding one meta tensor, registered as a parameter or as a buffer.
  class OnMeta extends nn.Module {
    constructor(as: "parameter" | "buffer") {
      super();
      const t = tidy(() => randn([2]).to("meta"));
      if (as === "parameter") this.registerParameter("w", t);
      else this.registerBuffer("b", t);
    }
    forward(x: Tensor): Tensor {
      return x.alias();
    }
  }
  using param = new OnMeta("parameter");
  assert.equal(moduleDevice(param), "meta");
  using buf = new OnMeta("buffer");
  assert.equal(moduleDevice(buf), "meta");
});

test("setupCompute checks every compute setting, naming it, and sets the flags", () => {
  const before = setBackendFlags({});
  try {
    assert.deepEqual(
      setupCompute({ precision: "bf16", memoryFormat: "channels_last", deterministic: true }, "train."),
      {
        device: "cpu",
        precision: "bf16",
        memoryFormat: "channels_last",
        deterministic: true,
        cudnnBenchmark: false,
      },
    );
    assert.throws(() => setupCompute({ precision: "fp16" }, "train."), /train\.precision: fp16 needs a CUDA device/);
    assert.throws(
      () => setupCompute({ memoryFormat: "nhwc" }),
      /memoryFormat must be one of contiguous, channels_last; got "nhwc"/,
    );
    if (noCuda)
      assert.throws(() => setupCompute({ device: "cuda" }, "pretrain."), /pretrain\.device: cuda was requested/);
  } finally {
    setBackendFlags(before);
  }
});

// Robustness of the public API: every case starts from valid arguments and replaces one of them
// with a hostile value (wrong type, disposed tensor, NaN, huge or negative sizes, empty lists…).
// Each call must return or throw an Error — never abort the process — and leave no tensors behind
// (module cases dispose their module with `using`, also when forward throws).
// Found this way: reflection_pad2d with [] segfaulted LibTorch 1.13 (now validated in F.pad).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as T from "../../src/torch/index.js";
import { leakCheckEachTest } from "./helpers.js";

const { F, nn, randn, tensor, tidy } = T;

leakCheckEachTest();

// biome-ignore lint/suspicious/noExplicitAny: slots hold deliberately ill-typed values
type Fn = (s: any[]) => unknown;
const L = (v: number[]) => tensor(v, { dtype: "int64" });
const x4 = () => randn([2, 2, 5, 5]);
// biome-ignore lint/suspicious/noExplicitAny: slots hold deliberately ill-typed values
const cases: [string, () => any[], Fn][] = [
  [
    "conv2d",
    () => [x4(), randn([4, 1, 3, 3]), randn([4]), 1, 1, 1, 2],
    (s) => F.conv2d(s[0], s[1], s[2], { stride: s[3], padding: s[4], dilation: s[5], groups: s[6] }),
  ],
  [
    "maxPool2d",
    () => [x4(), 2, 2, 0, 1, false],
    (s) => F.maxPool2d(s[0], s[1], { stride: s[2], padding: s[3], dilation: s[4], ceilMode: s[5] }),
  ],
  [
    "avgPool2d",
    () => [x4(), 2, 2, 0, false],
    (s) => F.avgPool2d(s[0], s[1], { stride: s[2], padding: s[3], ceilMode: s[4] }),
  ],
  ["adaptiveAvgPool2d", () => [x4(), [2, 3]], (s) => F.adaptiveAvgPool2d(s[0], s[1])],
  [
    "batchNorm",
    () => [randn([4, 3]), T.zeros([3]), T.ones([3]), randn([3]), randn([3]), true, 0.1, 1e-5],
    (s) => F.batchNorm(s[0], s[1], s[2], { weight: s[3], bias: s[4], training: s[5], momentum: s[6], eps: s[7] }),
  ],
  [
    "layerNorm",
    () => [randn([2, 3]), [3], randn([3]), randn([3]), 1e-5],
    (s) => F.layerNorm(s[0], s[1], s[2], s[3], s[4]),
  ],
  ["linear", () => [randn([2, 3]), randn([4, 3]), randn([4])], (s) => F.linear(s[0], s[1], s[2])],
  [
    "crossEntropy",
    () => [randn([2, 3]), L([0, 2]), null, "mean", -100, 0.1],
    (s) => F.crossEntropy(s[0], s[1], { weight: s[2], reduction: s[3], ignoreIndex: s[4], labelSmoothing: s[5] }),
  ],
  [
    "nllLoss",
    () => [randn([2, 3]), L([0, 2]), null, "mean", -100],
    (s) => F.nllLoss(s[0], s[1], { weight: s[2], reduction: s[3], ignoreIndex: s[4] }),
  ],
  ["softmax", () => [randn([2, 3]), 1], (s) => F.softmax(s[0], s[1])],
  ["logSoftmax", () => [randn([2, 3]), 1], (s) => F.logSoftmax(s[0], s[1])],
  ["dropout", () => [randn([3]), 0.5, true], (s) => F.dropout(s[0], s[1], s[2])],
  [
    "interpolate",
    () => [x4(), [7, 7], undefined, "bilinear", false],
    (s) => F.interpolate(s[0], { size: s[1], scaleFactor: s[2], mode: s[3], alignCorners: s[4] }),
  ],
  [
    "interpolateScale",
    () => [x4(), undefined, 2, "nearest", false],
    (s) => F.interpolate(s[0], { size: s[1], scaleFactor: s[2], mode: s[3], alignCorners: s[4] }),
  ],
  ["pad", () => [x4(), [1, 1, 1, 1], "reflect", 0], (s) => F.pad(s[0], s[1], s[2], s[3])],
  ["padConst", () => [x4(), [1, 1], "constant", 0], (s) => F.pad(s[0], s[1], s[2], s[3])],
  ["padRep", () => [x4(), [1, 1, 2, 2], "replicate", 0], (s) => F.pad(s[0], s[1], s[2], s[3])],
  [
    "gridSample",
    () => [x4(), randn([2, 3, 3, 2]), "bilinear", "zeros", false],
    (s) => F.gridSample(s[0], s[1], { mode: s[2], paddingMode: s[3], alignCorners: s[4] }),
  ],
  ["affineGrid", () => [randn([2, 2, 3]), [2, 1, 4, 4], false], (s) => F.affineGrid(s[0], s[1], s[2])],
  ["oneHot", () => [L([1, 2]), 3], (s) => F.oneHot(s[0], s[1])],
  ["normalize", () => [randn([2, 3]), 2, 1, 1e-12], (s) => F.normalize(s[0], s[1], s[2], s[3])],
  [
    "cosineSimilarity",
    () => [randn([2, 3]), randn([2, 3]), 1, 1e-8],
    (s) => F.cosineSimilarity(s[0], s[1], s[2], s[3]),
  ],
  ["embedding", () => [L([0, 4]), randn([5, 2])], (s) => F.embedding(s[0], s[1])],
  ["prelu", () => [randn([2, 3]), randn([3])], (s) => F.prelu(s[0], s[1])],
  ["gelu", () => [randn([3]), "tanh"], (s) => F.gelu(s[0], s[1])],
  ["mse", () => [randn([3]), randn([3]), "mean"], (s) => F.mseLoss(s[0], s[1], s[2])],
  ["bce", () => [randn([3]), T.rand([3]), "mean"], (s) => F.binaryCrossEntropyWithLogits(s[0], s[1], s[2])],
  ["view", () => [randn([2, 3]), 3, 2], (s) => s[0].view(s[1], s[2])],
  ["reshapeArr", () => [randn([2, 3]), [3, 2]], (s) => s[0].reshape(s[1])],
  ["permute", () => [randn([2, 3, 4]), 2, 0, 1], (s) => s[0].permute(s[1], s[2], s[3])],
  ["transpose", () => [randn([2, 3]), 0, 1], (s) => s[0].transpose(s[1], s[2])],
  ["flatten", () => [randn([2, 3, 4]), 1, -1], (s) => s[0].flatten(s[1], s[2])],
  ["squeeze", () => [randn([2, 1]), 1], (s) => s[0].squeeze(s[1])],
  ["unsqueeze", () => [randn([2]), 0], (s) => s[0].unsqueeze(s[1])],
  ["expand", () => [randn([1, 3]), 2, 3], (s) => s[0].expand(s[1], s[2])],
  ["repeat", () => [randn([2]), 2, 2], (s) => s[0].repeat(s[1], s[2])],
  ["narrow", () => [randn([5]), 0, 1, 2], (s) => s[0].narrow(s[1], s[2], s[3])],
  ["select", () => [randn([5]), 0, 1], (s) => s[0].select(s[1], s[2])],
  ["slice", () => [randn([5]), 0, 1, 4, 2], (s) => s[0].slice(s[1], s[2], s[3], s[4])],
  ["index", () => [randn([5]), [L([0, 4])]], (s) => s[0].index(s[1])],
  ["indexSelect", () => [randn([5, 2]), 0, L([0, 4])], (s) => s[0].indexSelect(s[1], s[2])],
  ["gather", () => [randn([2, 3]), 1, L([0, 2]).view(2, 1)], (s) => s[0].gather(s[1], s[2])],
  ["scatter", () => [randn([2, 3]), 1, L([0, 2]).view(2, 1), randn([2, 1])], (s) => s[0].scatter(s[1], s[2], s[3])],
  ["scatterAdd", () => [randn([4]), 0, L([1, 3]), randn([2])], (s) => s[0].scatterAdd(s[1], s[2], s[3])],
  ["maskedFill", () => [randn([3]), tensor([true, false, true]), 0], (s) => s[0].maskedFill(s[1], s[2])],
  ["split", () => [randn([5]), 2, 0], (s) => s[0].split(s[1], s[2])],
  ["splitSizes", () => [randn([5]), [2, 3], 0], (s) => s[0].split(s[1], s[2])],
  ["chunk", () => [randn([5]), 2, 0], (s) => s[0].chunk(s[1], s[2])],
  ["unbind", () => [randn([2, 3]), 1], (s) => s[0].unbind(s[1])],
  ["flip", () => [randn([2, 3]), [0, 1]], (s) => s[0].flip(s[1])],
  ["roll", () => [randn([2, 3]), [1], [1]], (s) => s[0].roll(s[1], s[2])],
  ["tril", () => [randn([3, 3]), 1], (s) => s[0].tril(s[1])],
  ["sum", () => [randn([2, 3]), [1], true], (s) => s[0].sum(s[1], s[2])],
  ["mean", () => [randn([2, 3]), 1, false], (s) => s[0].mean(s[1], s[2])],
  ["prod", () => [randn([2, 3]), 1, false], (s) => s[0].prod(s[1], s[2])],
  ["var", () => [randn([2, 3]), 1, true, false], (s) => s[0].var(s[1], { unbiased: s[2], keepdim: s[3] })],
  ["maxDim", () => [randn([2, 3]), 1, false], (s) => s[0].max(s[1], s[2])],
  ["amax", () => [randn([2, 3]), [1], false], (s) => s[0].amax(s[1], s[2])],
  ["argmax", () => [randn([2, 3]), 1, false], (s) => s[0].argmax(s[1], s[2])],
  ["norm", () => [randn([2, 3]), 2, 1, false], (s) => s[0].norm(s[1], s[2], s[3])],
  ["logsumexp", () => [randn([2, 3]), 1, false], (s) => s[0].logsumexp(s[1], s[2])],
  ["topk", () => [randn([5]), 2, -1, true, true], (s) => s[0].topk(s[1], s[2], s[3], s[4])],
  ["sort", () => [randn([5]), -1, false], (s) => s[0].sort(s[1], s[2])],
  ["cumsum", () => [randn([5]), 0], (s) => s[0].cumsum(s[1])],
  ["matmul", () => [randn([2, 3]), randn([3, 2])], (s) => s[0].matmul(s[1])],
  ["bmm", () => [randn([2, 2, 3]), randn([2, 3, 2])], (s) => s[0].bmm(s[1])],
  ["clamp", () => [randn([3]), -1, 1], (s) => s[0].clamp(s[1], s[2])],
  ["pow", () => [randn([3]), 2], (s) => s[0].pow(s[1])],
  ["add", () => [randn([3]), randn([3]), 2], (s) => s[0].add(s[1], s[2])],
  ["to", () => [randn([3]), "float64"], (s) => s[0].to(s[1])],
  ["contiguous", () => [x4(), "channelsLast"], (s) => s[0].contiguous(s[1])],
  ["uniform_", () => [randn([3]), 0, 1], (s) => s[0].uniform_(s[1], s[2])],
  ["normal_", () => [randn([3]), 0, 1], (s) => s[0].normal_(s[1], s[2])],
  ["bernoulli_", () => [randn([3]), 0.5], (s) => s[0].bernoulli_(s[1])],
  ["fill_", () => [randn([3]), 2], (s) => s[0].fill_(s[1])],
  ["copy_", () => [randn([3]), randn([3])], (s) => s[0].copy_(s[1])],
  ["lerp_", () => [randn([3]), randn([3]), 0.5], (s) => s[0].lerp_(s[1], s[2])],
  ["addcmul_", () => [randn([3]), randn([3]), randn([3]), 0.5], (s) => s[0].addcmul_(s[1], s[2], s[3])],
  ["size", () => [randn([3]), 0], (s) => s[0].size(s[1])],
  ["item", () => [randn([1])], (s) => s[0].item()],
  ["toArray", () => [randn([2])], (s) => s[0].toArray()],
  ["tensor", () => [[1, 2], "float32"], (s) => tensor(s[0], { dtype: s[1] })],
  ["zeros", () => [[2, 2], "float32"], (s) => T.zeros(s[0], { dtype: s[1] })],
  ["full", () => [[2], 3, "float32"], (s) => T.full(s[0], s[1], { dtype: s[2] })],
  ["arange", () => [0, 5, 1], (s) => T.arange(s[0], s[1], s[2])],
  ["linspace", () => [0, 1, 5], (s) => T.linspace(s[0], s[1], s[2])],
  ["eye", () => [3], (s) => T.eye(s[0])],
  ["randint", () => [0, 5, [3]], (s) => T.randint(s[0], s[1], s[2])],
  ["randperm", () => [5], (s) => T.randperm(s[0])],
  ["multinomial", () => [T.rand([2, 3]), 2, false], (s) => T.multinomial(s[0], s[1], s[2])],
  ["bernoulli", () => [T.rand([3])], (s) => T.bernoulli(s[0])],
  ["fromTypedArray", () => [new Float32Array(4), [2, 2]], (s) => T.fromTypedArray(s[0], s[1])],
  ["cat", () => [[randn([2]), randn([3])], 0], (s) => T.cat(s[0], s[1])],
  ["stack", () => [[randn([2]), randn([2])], 0], (s) => T.stack(s[0], s[1])],
  ["where", () => [tensor([true, false]), randn([2]), randn([2])], (s) => T.where(s[0], s[1], s[2])],
  ["einsum", () => ["ij,jk->ik", randn([2, 3]), randn([3, 2])], (s) => T.einsum(s[0], s[1], s[2])],
  ["cdist", () => [randn([2, 3]), randn([4, 3]), 2], (s) => T.cdist(s[0], s[1], s[2])],
  ["bincount", () => [L([0, 3]), 0], (s) => T.bincount(s[0], s[1])],
  [
    "Conv2d",
    () => [2, 4, 3, 1, 1, 1, 2],
    (s) => {
      using m = new nn.Conv2d(s[0], s[1], s[2], { stride: s[3], padding: s[4], dilation: s[5], groups: s[6] });
      return m.call(x4());
    },
  ],
  [
    "Linear",
    () => [3, 2],
    (s) => {
      using m = new nn.Linear(s[0], s[1]);
      return m.call(randn([2, 3]));
    },
  ],
  [
    "BatchNorm2d",
    () => [2, 0.1, 1e-5],
    (s) => {
      using m = new nn.BatchNorm2d(s[0], { momentum: s[1], eps: s[2] });
      return m.call(x4());
    },
  ],
  [
    "MaxPool2d",
    () => [2, 2, 0],
    (s) => {
      using m = new nn.MaxPool2d(s[0], { stride: s[1], padding: s[2] });
      return m.call(x4());
    },
  ],
  [
    "AdaptiveAvgPool2d",
    () => [[1, 1]],
    (s) => {
      using m = new nn.AdaptiveAvgPool2d(s[0]);
      return m.call(x4());
    },
  ],
  [
    "Flatten",
    () => [1, -1],
    (s) => {
      using m = new nn.Flatten(s[0], s[1]);
      return m.call(x4());
    },
  ],
  [
    "LayerNorm",
    () => [[5]],
    (s) => {
      using m = new nn.LayerNorm(s[0]);
      return m.call(x4());
    },
  ],
  [
    "PReLU",
    () => [2, 0.25],
    (s) => {
      using m = new nn.PReLU(s[0], s[1]);
      return m.call(x4());
    },
  ],
];

function hostileValues(disposed: T.Tensor): (() => unknown)[] {
  return [
    () => randn([2, 3]),
    () => tensor([-5, 99], { dtype: "int64" }),
    () => tensor([true]),
    () => randn([]),
    () => randn([0]),
    () => randn([2], { dtype: "float64" }),
    () => 0,
    () => -1,
    () => 1e12,
    () => 2 ** 62,
    () => 2.5,
    () => Number.NaN,
    () => Number.POSITIVE_INFINITY,
    () => "x",
    () => null,
    () => undefined,
    () => [],
    () => [-1, -1],
    () => [2.5],
    () => [2 ** 62],
    () => [-3, -3, -3, -3],
    () => ({}),
    () => disposed,
    () => [disposed],
  ];
}

test("hostile arguments to the public API are errors, never crashes or leaks", () => {
  const disposed = randn([2]);
  disposed.dispose();
  const hostile = hostileValues(disposed);
  let calls = 0;
  for (const [name, make, call] of cases) {
    const n = tidy(() => make().length);
    for (let pos = 0; pos < n; pos++) {
      for (let b = 0; b < hostile.length; b++) {
        const before = T.liveTensors();
        tidy(() => {
          const args = make();
          args[pos] = (hostile[b] as () => unknown)();
          try {
            call(args);
          } catch (e) {
            assert.ok(e instanceof Error, `${name} slot ${pos} value ${b}: threw a non-Error ${String(e)}`);
          }
        });
        calls++;
        assert.equal(T.liveTensors(), before, `${name} slot ${pos} value ${b}: tensors leaked`);
      }
    }
  }
  assert.ok(calls > 2000, `${calls} calls`);
});

// Tensor API: creation, dtypes through typed arrays, shape/view ops, slicing, indexing,
// channels-last, elementwise ops, reductions and linear algebra on small hand-checked inputs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  arange,
  bernoulli,
  bincount,
  cat,
  cdist,
  einsum,
  empty,
  eye,
  F,
  fromTypedArray,
  full,
  fullLike,
  linspace,
  manualSeed,
  maximum,
  minimum,
  multinomial,
  ones,
  onesLike,
  outer,
  rand,
  randint,
  randn,
  randperm,
  stack,
  tensor,
  tidy,
  where,
  zeros,
  zerosLike,
} from "../../src/torch/index.js";
import { assertClose, leakCheckEachTest } from "./helpers.js";

leakCheckEachTest();

const long = (v: number[] | number[][]) => tensor(v, { dtype: "int64" });

describe("creation", () => {
  test("tensor() infers shape and dtype from nested arrays", () =>
    tidy(() => {
      const a = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.deepEqual(a.shape, [2, 3]);
      assert.equal(a.dtype, "float32");
      assert.equal(a.ndim, 2);
      assert.equal(a.numel, 6);
      assert.equal(a.size(-1), 3);
      assert.deepEqual(a.toArray(), [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const b = tensor([true, false]);
      assert.equal(b.dtype, "bool");
      assert.deepEqual(b.toArray(), [true, false]);
      const s = tensor(2.5);
      assert.deepEqual(s.shape, []);
      assert.equal(s.item(), 2.5);
      assert.deepEqual(tensor([]).shape, [0]);
      assert.equal(tensor([3.7, -2], { dtype: "int64" }).dtype, "int64");
      assert.deepEqual(tensor([3.7, -2.2], { dtype: "int64" }).toNumbers(), [3, -2], "truncates like torch");
    }));

  test("constant, range and identity factories", () =>
    tidy(() => {
      assert.deepEqual(zeros([2, 2]).toNumbers(), [0, 0, 0, 0]);
      assert.deepEqual(ones([3], { dtype: "int32" }).toNumbers(), [1, 1, 1]);
      assert.equal(ones([3], { dtype: "int32" }).dtype, "int32");
      assert.deepEqual(full([2], 7.5).toNumbers(), [7.5, 7.5]);
      assert.deepEqual(empty([2, 3]).shape, [2, 3]);
      const x = tensor([[1, 2]], { dtype: "float64" });
      assert.equal(zerosLike(x).dtype, "float64");
      assert.deepEqual(onesLike(x).shape, [1, 2]);
      assert.deepEqual(fullLike(x, 3).toNumbers(), [3, 3]);
      const r = arange(5);
      assert.equal(r.dtype, "int64");
      assert.deepEqual(r.toNumbers(), [0, 1, 2, 3, 4]);
      assert.deepEqual(arange(1, 2, 0.25).toNumbers(), [1, 1.25, 1.5, 1.75]);
      assert.equal(arange(1, 2, 0.25).dtype, "float32");
      assert.deepEqual(arange(0, 3, 1, { dtype: "float64" }).dtype, "float64");
      assert.deepEqual(linspace(0, 1, 5).toNumbers(), [0, 0.25, 0.5, 0.75, 1]);
      assert.deepEqual(eye(2).toArray(), [
        [1, 0],
        [0, 1],
      ]);
      assert.equal(zeros([2], { requiresGrad: true }).requiresGrad, true);
    }));

  test("random factories are reproducible under manualSeed and in range", () =>
    tidy(() => {
      manualSeed(42);
      const a = randn([50]).toNumbers();
      const u = rand([200]).toNumbers();
      const i = randint(3, 7, [200]);
      const p = randperm(10);
      manualSeed(42);
      assert.deepEqual(randn([50]).toNumbers(), a);
      assert.deepEqual(rand([200]).toNumbers(), u);
      assert.deepEqual(randint(3, 7, [200]).toNumbers(), i.toNumbers());
      assert.ok(u.every((v) => v >= 0 && v < 1));
      assert.equal(i.dtype, "int64");
      const iv = i.toNumbers();
      assert.ok(iv.every((v) => v >= 3 && v < 7) && new Set(iv).size === 4);
      assert.deepEqual(
        [...p.toNumbers()].sort((x, y) => x - y),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      const b = bernoulli(tensor([0, 1, 0, 1])).toNumbers();
      assert.deepEqual(b, [0, 1, 0, 1]);
      const m = multinomial(tensor([[0, 0, 1]]), 1).toNumbers();
      assert.deepEqual(m, [2]);
    }));
});

describe("dtypes round trip through typed arrays", () => {
  test("each dtype keeps its bits", () =>
    tidy(() => {
      const f32 = new Float32Array([1.5, -2.25, 3.4028234663852886e38]);
      assert.deepEqual(fromTypedArray(f32, [3]).toTypedArray(), f32);
      const f64 = new Float64Array([Math.PI, -1e-300, 1e300]);
      assert.deepEqual(fromTypedArray(f64, [3]).toTypedArray(), f64);
      const i64 = new BigInt64Array([2n ** 53n + 1n, -(2n ** 62n), 0n]);
      const t64 = fromTypedArray(i64, [3]);
      assert.equal(t64.dtype, "int64");
      assert.deepEqual(t64.toTypedArray(), i64, "int64 beyond 2^53 is exact");
      const i32 = new Int32Array([2147483647, -2147483648, 5]);
      assert.deepEqual(fromTypedArray(i32, [3]).toTypedArray(), i32);
      const u8 = new Uint8Array([0, 128, 255]);
      const tu8 = fromTypedArray(u8, [3]);
      assert.equal(tu8.dtype, "uint8");
      assert.deepEqual(tu8.toTypedArray(), u8);
      const bools = fromTypedArray(new Uint8Array([1, 0, 1]), [3], { dtype: "bool" });
      assert.equal(bools.dtype, "bool");
      assert.deepEqual(bools.toArray(), [true, false, true]);
      // float16 / bfloat16 travel as raw bits in a Uint16Array: 0x3C00 = 1.0 (half), 0x3F80 = 1.0 (bf16)
      const h = fromTypedArray(new Uint16Array([0x3c00, 0xc000, 0x7bff]), [3], { dtype: "float16" });
      assert.deepEqual(h.float().toNumbers(), [1, -2, 65504]);
      const bf = fromTypedArray(new Uint16Array([0x3f80, 0x4040]), [2], { dtype: "bfloat16" });
      assert.deepEqual(bf.float().toNumbers(), [1, 3]);
      assert.deepEqual(
        [...(tensor([0.5, 1]).to("float16").toTypedArray() as Uint16Array)],
        [0x3800, 0x3c00],
        "raw half bits",
      );
      assert.deepEqual(tensor([0.5, 1]).to("float16").toNumbers(), [0.5, 1], "toNumbers decodes half");
      assert.deepEqual(
        tensor([[0.25]])
          .to("bfloat16")
          .toArray(),
        [[0.25]],
        "toArray decodes bfloat16",
      );
      assert.deepEqual(
        [...(tensor([0.5, 1]).to("bfloat16").toTypedArray() as Uint16Array)],
        [0x3f00, 0x3f80],
        "raw bfloat16 bits",
      );
    }));

  test("asTypedArray is a zero-copy view of contiguous CPU memory", () =>
    tidy(() => {
      const t = tensor([1, 2, 3]);
      const view = t.asTypedArray() as Float32Array;
      assert.deepEqual([...view], [1, 2, 3]);
      t.mul_(2);
      assert.deepEqual([...view], [2, 4, 6], "sees in-place changes: no copy");
      t.dispose();
      assert.deepEqual([...view], [2, 4, 6], "keeps the storage alive");
      assert.deepEqual([...(tensor([5], { dtype: "int64" }).asTypedArray() as BigInt64Array)], [5n]);
      assert.equal(tensor([]).asTypedArray().length, 0);
      assert.throws(
        () =>
          tensor([
            [1, 2],
            [3, 4],
          ])
            .t()
            .asTypedArray(),
        /zero-copy view needs a contiguous CPU tensor/,
      );
    }));

  test("conversions between dtypes", () =>
    tidy(() => {
      const x = tensor([1.7, -1.7, 0]);
      assert.deepEqual(x.long().toNumbers(), [1, -1, 0]);
      assert.deepEqual(x.int().toNumbers(), [1, -1, 0]);
      assert.deepEqual(x.bool().toArray(), [true, true, false]);
      assert.equal(x.double().dtype, "float64");
      assert.equal(x.double().float().dtype, "float32");
      assert.equal(tensor([300], { dtype: "int32" }).to("uint8").item(), 44, "wraps modulo 256 like torch");
      assert.equal(x.to({ dtype: "float64", device: "cpu" }).dtype, "float64");
      assert.equal(x.to("cpu").device, "cpu");
    }));

  test("fromTypedArray copies: later writes to the array do not change the tensor", () =>
    tidy(() => {
      const a = new Float32Array([1, 2]);
      const t = fromTypedArray(a, [2]);
      a[0] = 99;
      assert.deepEqual(t.toNumbers(), [1, 2]);
      const out = t.toTypedArray() as Float32Array;
      out[1] = 42;
      assert.deepEqual(t.toNumbers(), [1, 2]);
      assert.deepEqual(tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] }).shape, [2, 2]);
    }));
});

describe("shape, view and indexing", () => {
  const m = () => arange(0, 12, 1, { dtype: "float32" }).reshape(3, 4);

  test("view, reshape, permute, transpose, flatten, squeeze, unsqueeze, expand, repeat", () =>
    tidy(() => {
      const x = m();
      assert.deepEqual(x.view(4, 3).shape, [4, 3]);
      assert.deepEqual(x.view([2, -1]).shape, [2, 6]);
      assert.deepEqual(x.t().toArray(), [
        [0, 4, 8],
        [1, 5, 9],
        [2, 6, 10],
        [3, 7, 11],
      ]);
      assert.equal(x.t().isContiguous(), false);
      assert.deepEqual(x.t().contiguous().strides, [3, 1]);
      assert.deepEqual(x.t().reshape(12).toNumbers().slice(0, 4), [0, 4, 8, 1]);
      const y = x.reshape(1, 3, 1, 4);
      assert.deepEqual(y.permute(3, 1, 0, 2).shape, [4, 3, 1, 1]);
      assert.deepEqual(y.transpose(1, 3).shape, [1, 4, 1, 3]);
      assert.deepEqual(y.squeeze().shape, [3, 4]);
      assert.deepEqual(y.squeeze(2).shape, [1, 3, 4]);
      assert.deepEqual(y.flatten().shape, [12]);
      assert.deepEqual(y.flatten(1).shape, [1, 12]);
      assert.deepEqual(x.unsqueeze(-1).shape, [3, 4, 1]);
      assert.deepEqual(
        tensor([[1], [2]])
          .expand(2, 3)
          .toArray(),
        [
          [1, 1, 1],
          [2, 2, 2],
        ],
      );
      assert.deepEqual(tensor([[1], [2]]).expandAs(zeros([2, 2])).shape, [2, 2]);
      assert.deepEqual(tensor([1, 2]).repeat(2).toNumbers(), [1, 2, 1, 2]);
      assert.deepEqual(tensor([1, 2, 3]).flip([0]).toNumbers(), [3, 2, 1]);
      assert.deepEqual(tensor([1, 2, 3]).roll(1).toNumbers(), [3, 1, 2]);
      assert.deepEqual(x.roll([1], [1]).select(0, 0).toNumbers(), [3, 0, 1, 2]);
      assert.deepEqual(ones([2, 2]).tril().toNumbers(), [1, 0, 1, 1]);
      assert.deepEqual(ones([2, 2]).triu(1).toNumbers(), [0, 1, 0, 0]);
    }));

  test("views share storage with their base", () =>
    tidy(() => {
      const x = zeros([2, 3]);
      x.view(6).narrow(0, 4, 1).fill_(5);
      x.select(0, 0).fill_(1);
      assert.deepEqual(x.toNumbers(), [1, 1, 1, 0, 5, 0]);
    }));

  test("slicing like Python t[start:end:step], select, narrow", () =>
    tidy(() => {
      const x = m();
      assert.deepEqual(x.slice(1, 1, 3).toArray(), [
        [1, 2],
        [5, 6],
        [9, 10],
      ]);
      assert.deepEqual(x.slice(1, undefined, undefined, 2).select(0, 0).toNumbers(), [0, 2]);
      assert.deepEqual(x.slice(0, -1).select(1, 0).toNumbers(), [8], "negative start counts from the end");
      assert.deepEqual(x.slice(0, 0, -1).shape, [2, 4], "negative end excludes the last row");
      assert.deepEqual(x.slice(1, 2, 100).shape, [3, 2], "end clamps like Python");
      assert.deepEqual(x.select(1, -1).toNumbers(), [3, 7, 11]);
      assert.deepEqual(x.narrow(0, 1, 2).shape, [2, 4]);
    }));

  test("index, index_select, gather, scatter, scatter_add, masked_fill/select, where", () =>
    tidy(() => {
      const x = m();
      assert.deepEqual(
        x
          .indexSelect(0, long([2, 0]))
          .select(1, 0)
          .toNumbers(),
        [8, 0],
      );
      assert.deepEqual(x.index([long([0, 2]), long([1, 3])]).toNumbers(), [1, 11]);
      assert.deepEqual(x.index([null, long([0])]).shape, [3, 1]);
      assert.deepEqual(x.gather(1, long([[3], [0], [1]])).toNumbers(), [3, 4, 9]);
      assert.deepEqual(
        zeros([2, 3])
          .scatter(1, long([[2], [0]]), 1)
          .toNumbers(),
        [0, 0, 1, 1, 0, 0],
      );
      assert.deepEqual(
        zeros([2, 3])
          .scatter(1, long([[1], [2]]), tensor([[5], [6]]))
          .toNumbers(),
        [0, 5, 0, 0, 0, 6],
      );
      assert.deepEqual(
        zeros([4])
          .scatterAdd(0, long([1, 1, 3]), tensor([1, 2, 3]))
          .toNumbers(),
        [0, 3, 0, 3],
      );
      const mask = tensor([true, false, true]);
      assert.deepEqual(tensor([1, 2, 3]).maskedFill(mask, -1).toNumbers(), [-1, 2, -1]);
      assert.deepEqual(tensor([1, 2, 3]).maskedSelect(mask).toNumbers(), [1, 3]);
      assert.deepEqual(where(mask, tensor([1, 2, 3]), tensor([7, 8, 9])).toNumbers(), [1, 8, 3]);
      assert.deepEqual(where(mask, 0, tensor([7, 8, 9])).toNumbers(), [0, 8, 0]);
      assert.deepEqual(where(mask, tensor([1, 2, 3]), 0).toNumbers(), [1, 0, 3]);
      assert.deepEqual(where(mask, 1, 0).toNumbers(), [1, 0, 1]);
    }));

  test("cat, stack, split, chunk, unbind", () =>
    tidy(() => {
      const a = tensor([[1, 2]]);
      const b = tensor([[3, 4]]);
      assert.deepEqual(cat([a, b]).toArray(), [
        [1, 2],
        [3, 4],
      ]);
      assert.deepEqual(cat([a, b], 1).toArray(), [[1, 2, 3, 4]]);
      assert.deepEqual(stack([a, b]).shape, [2, 1, 2]);
      const parts = arange(5).split(2);
      assert.deepEqual(
        parts.map((p) => p.toNumbers()),
        [[0, 1], [2, 3], [4]],
      );
      assert.deepEqual(
        arange(5)
          .split([1, 4])
          .map((p) => p.numel),
        [1, 4],
      );
      assert.deepEqual(
        arange(6)
          .chunk(3)
          .map((p) => p.toNumbers()),
        [
          [0, 1],
          [2, 3],
          [4, 5],
        ],
      );
      assert.deepEqual(
        m()
          .unbind(1)
          .map((p) => p.shape),
        [[3], [3], [3], [3]],
      );
    }));

  test("channels-last memory format", () =>
    tidy(() => {
      manualSeed(0);
      const x = randn([2, 3, 4, 5]);
      const cl = x.contiguous("channelsLast");
      assert.deepEqual(cl.shape, [2, 3, 4, 5]);
      assert.deepEqual(cl.strides, [60, 1, 15, 3]);
      assert.ok(cl.isContiguous("channelsLast"));
      assert.ok(!cl.isContiguous());
      assert.deepEqual(cl.toNumbers(), x.toNumbers(), "logical order is unchanged");
      const w = randn([4, 3, 3, 3]);
      assertClose(F.conv2d(cl, w, null, { padding: 1 }), F.conv2d(x, w, null, { padding: 1 }), { atol: 1e-5 });
      assert.ok(cl.contiguous().isContiguous());
    }));
});

describe("elementwise, reductions, linear algebra", () => {
  test("arithmetic with broadcasting and scalars", () =>
    tidy(() => {
      const a = tensor([
        [1, 2],
        [3, 4],
      ]);
      const r = tensor([10, 20]);
      assert.deepEqual(a.add(r).toNumbers(), [11, 22, 13, 24]);
      assert.deepEqual(a.add(r, 2).toNumbers(), [21, 42, 23, 44]);
      assert.deepEqual(a.sub(1).toNumbers(), [0, 1, 2, 3]);
      assert.deepEqual(a.mul(r.unsqueeze(1)).toNumbers(), [10, 20, 60, 80]);
      assert.deepEqual(a.div(2).toNumbers(), [0.5, 1, 1.5, 2]);
      assert.deepEqual(a.rsub(10).toNumbers(), [9, 8, 7, 6]);
      assert.deepEqual(a.remainder(3).toNumbers(), [1, 2, 0, 1]);
      assert.deepEqual(a.pow(2).toNumbers(), [1, 4, 9, 16]);
      assert.deepEqual(
        tensor([2])
          .pow(tensor([3]))
          .toNumbers(),
        [8],
      );
      assert.deepEqual(long([7, -7]).div(2).toNumbers(), [3.5, -3.5], "true division like torch");
      assert.deepEqual(tensor([-1.5, 0, 2]).abs().toNumbers(), [1.5, 0, 2]);
      assert.deepEqual(tensor([-1.5, 0, 2]).sign().toNumbers(), [-1, 0, 1]);
      assert.deepEqual(tensor([-1.5, 0.5, 2.5]).floor().toNumbers(), [-2, 0, 2]);
      assert.deepEqual(tensor([-1.5, 0.5, 2.5]).ceil().toNumbers(), [-1, 1, 3]);
      assert.deepEqual(tensor([-1.5, 0.5, 2.5]).round().toNumbers(), [-2, 0, 2], "half to even");
      assert.deepEqual(tensor([-2, 0.5, 2]).clamp(-1, 1).toNumbers(), [-1, 0.5, 1]);
      assert.deepEqual(tensor([-2, 0.5, 2]).clamp(null, 1).toNumbers(), [-2, 0.5, 1]);
      assertClose(tensor([0, 1]).exp(), [1, Math.E]);
      assertClose(tensor([1, Math.E]).log(), [0, 1]);
      assertClose(tensor([4, 9]).sqrt(), [2, 3]);
      assertClose(tensor([4]).rsqrt(), [0.5]);
      assertClose(tensor([0, Math.PI / 2]).sin(), [0, 1]);
      assertClose(tensor([0, Math.PI]).cos(), [1, -1]);
      assertClose(tensor([1, 0, -1]).acos(), [0, Math.PI / 2, Math.PI]);
      assertClose(tensor([0]).sigmoid(), [0.5]);
      assertClose(tensor([0]).tanh(), [0]);
      assertClose(tensor([4]).reciprocal(), [0.25]);
      assertClose(tensor([3]).square(), [9]);
      assertClose(tensor([-3]).neg(), [3]);
      assertClose(tensor([Math.E - 1]).log1p(), [1]);
      assert.deepEqual(minimum(tensor([1, 5]), tensor([3, 2])).toNumbers(), [1, 2]);
      assert.deepEqual(maximum(tensor([1, 5]), tensor([3, 2])).toNumbers(), [3, 5]);
    }));

  test("comparisons and logic", () =>
    tidy(() => {
      const a = tensor([1, 2, 3]);
      assert.deepEqual(a.eq(2).toArray(), [false, true, false]);
      assert.deepEqual(a.ne(tensor([1, 0, 3])).toArray(), [false, true, false]);
      assert.deepEqual(a.lt(2).toArray(), [true, false, false]);
      assert.deepEqual(a.le(2).toArray(), [true, true, false]);
      assert.deepEqual(a.gt(2).toArray(), [false, false, true]);
      assert.deepEqual(a.ge(2).toArray(), [false, true, true]);
      const p = tensor([true, false]);
      const q = tensor([true, true]);
      assert.deepEqual(p.logicalNot().toArray(), [false, true]);
      assert.deepEqual(p.logicalAnd(q).toArray(), [true, false]);
      assert.deepEqual(p.logicalOr(q).toArray(), [true, true]);
      assert.equal(p.any().item(), 1);
      assert.equal(p.all().item(), 0);
      assert.deepEqual(tensor([1, Number.NaN, Number.POSITIVE_INFINITY]).isnan().toArray(), [false, true, false]);
      assert.deepEqual(tensor([1, Number.NaN, Number.POSITIVE_INFINITY]).isfinite().toArray(), [true, false, false]);
    }));

  test("reductions with dims", () =>
    tidy(() => {
      const a = tensor([
        [1, 5, 3],
        [4, 2, 6],
      ]);
      assert.equal(a.sum().item(), 21);
      assert.deepEqual(a.sum(0).toNumbers(), [5, 7, 9]);
      assert.deepEqual(a.sum([0, 1], true).shape, [1, 1]);
      assert.deepEqual(a.mean(1).toNumbers(), [3, 4]);
      assert.deepEqual(a.prod(1).toNumbers(), [15, 48]);
      assert.equal(a.prod().item(), 720);
      assert.deepEqual(a.var(1).toNumbers(), [4, 4], "unbiased by default");
      assertClose(a.var(1, { unbiased: false }), [8 / 3, 8 / 3]);
      assertClose(a.std(), [Math.sqrt(3.5)]);
      const mx = a.max(1);
      assert.deepEqual(mx.values.toNumbers(), [5, 6]);
      assert.deepEqual(mx.indices.toNumbers(), [1, 2]);
      assert.equal(mx.indices.dtype, "int64");
      assert.deepEqual(a.min(0, true).values.shape, [1, 3]);
      assert.equal(a.max().item(), 6);
      assert.equal(a.min().item(), 1);
      assert.deepEqual(a.amax(0).toNumbers(), [4, 5, 6]);
      assert.deepEqual(a.amin(1).toNumbers(), [1, 2]);
      assert.equal(a.argmax().item(), 5);
      assert.deepEqual(a.argmax(1).toNumbers(), [1, 2]);
      assert.deepEqual(a.argmin(0).toNumbers(), [0, 1, 0]);
      assertClose(tensor([3, 4]).norm(), [5]);
      assertClose(tensor([3, -4]).norm(1), [7]);
      assertClose(a.norm(2, 1), [Math.sqrt(35), Math.sqrt(56)]);
      assertClose(tensor([0, Math.log(3)]).logsumexp(0), [Math.log(4)]);
      const tk = tensor([3, 1, 4, 1, 5]).topk(2);
      assert.deepEqual(tk.values.toNumbers(), [5, 4]);
      assert.deepEqual(tk.indices.toNumbers(), [4, 2]);
      assert.deepEqual(tensor([3, 1, 4]).topk(1, -1, false).values.toNumbers(), [1]);
      const st = tensor([3, 1, 2]).sort();
      assert.deepEqual(st.values.toNumbers(), [1, 2, 3]);
      assert.deepEqual(st.indices.toNumbers(), [1, 2, 0]);
      assert.deepEqual(tensor([3, 1, 2]).sort(-1, true).values.toNumbers(), [3, 2, 1]);
      assert.deepEqual(tensor([3, 1, 2]).argsort().toNumbers(), [1, 2, 0]);
      assert.deepEqual(tensor([1, 2, 3]).cumsum(0).toNumbers(), [1, 3, 6]);
      assert.deepEqual(bincount(long([0, 2, 2]), 4).toNumbers(), [1, 0, 2, 0]);
    }));

  test("matmul, mm, bmm, einsum, dot, outer, cdist", () =>
    tidy(() => {
      const a = tensor([
        [1, 2],
        [3, 4],
      ]);
      const b = tensor([
        [5, 6],
        [7, 8],
      ]);
      assert.deepEqual(a.matmul(b).toNumbers(), [19, 22, 43, 50]);
      assert.deepEqual(a.mm(b).toNumbers(), [19, 22, 43, 50]);
      assert.deepEqual(a.matmul(tensor([1, 1])).toNumbers(), [3, 7]);
      assert.deepEqual(stack([a, b]).bmm(stack([b, a])).shape, [2, 2, 2]);
      assert.deepEqual(
        stack([a, b])
          .bmm(stack([b, a]))
          .select(0, 1)
          .toNumbers(),
        [23, 34, 31, 46],
      );
      assert.deepEqual(einsum("ij,jk->ik", a, b).toNumbers(), [19, 22, 43, 50]);
      assert.deepEqual(einsum("ii->", a).toNumbers(), [5], "trace");
      assert.deepEqual(einsum("ij->ji", a).toNumbers(), [1, 3, 2, 4]);
      assert.equal(
        tensor([1, 2])
          .dot(tensor([3, 4]))
          .item(),
        11,
      );
      assert.deepEqual(outer(tensor([1, 2]), tensor([3, 4])).toNumbers(), [3, 4, 6, 8]);
      assertClose(
        cdist(
          tensor([[0, 0]]),
          tensor([
            [3, 4],
            [0, 1],
          ]),
        ),
        [5, 1],
      );
    }));

  test("in-place ops mutate and return a fresh alias", () =>
    tidy(() => {
      const x = tensor([1, 2, 3]);
      const r = x.add_(1);
      assert.notEqual(r, x);
      r.dispose();
      assert.ok(!x.isDisposed, "disposing the alias leaves the tensor alive");
      assert.deepEqual(x.toNumbers(), [2, 3, 4]);
      x.sub_(tensor([1, 1, 1]), 2);
      assert.deepEqual(x.toNumbers(), [0, 1, 2]);
      x.mul_(3).div_(tensor([3, 3, 3]));
      assert.deepEqual(x.toNumbers(), [0, 1, 2]);
      x.addcmul_(tensor([1, 1, 1]), tensor([2, 2, 2]), 0.5);
      assert.deepEqual(x.toNumbers(), [1, 2, 3]);
      x.addcdiv_(tensor([2, 2, 2]), tensor([4, 4, 4]), 2);
      assert.deepEqual(x.toNumbers(), [2, 3, 4]);
      x.lerp_(tensor([4, 5, 6]), 0.5);
      assert.deepEqual(x.toNumbers(), [3, 4, 5]);
      x.clamp_(3.5, 4.5);
      assert.deepEqual(x.toNumbers(), [3.5, 4, 4.5]);
      x.copy_(tensor([4, -9, 16]))
        .relu_()
        .sqrt_();
      assert.deepEqual(x.toNumbers(), [2, 0, 4]);
      x.maskedFill_(tensor([true, false, false]), 7);
      assert.deepEqual(x.toNumbers(), [7, 0, 4]);
      x.fill_(1).zero_();
      assert.deepEqual(x.toNumbers(), [0, 0, 0]);
      manualSeed(1);
      const u = zeros([100]).uniform_(2, 3);
      assert.ok(u.min().item() >= 2 && u.max().item() < 3);
      const n = zeros([2000]).normal_(5, 2);
      assertClose(n.mean().item(), 5, { atol: 0.2 });
      const bern = zeros([100]).bernoulli_(1);
      assert.equal(bern.sum().item(), 100);
    }));

  test("item, toArray, toString, clone, detach, alias", () =>
    tidy(() => {
      const x = tensor([[1.5]]);
      assert.equal(x.item(), 1.5);
      assert.equal(tensor([true]).item(), 1);
      assert.match(x.toString(), /1\.5/);
      const c = x.clone();
      c.fill_(2);
      assert.equal(x.item(), 1.5, "clone does not share storage");
      const al = x.alias();
      al.fill_(3);
      assert.equal(x.item(), 3, "alias shares storage");
      const d = tensor([1], { requiresGrad: true }).detach();
      assert.equal(d.requiresGrad, false);
      const disposed = tensor([1]);
      disposed.dispose();
      assert.equal(disposed.toString(), "Tensor(disposed)");
    }));
});

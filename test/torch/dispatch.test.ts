// The op call path (src/torch/dispatch.ts, native/src/dispatch.cpp and handle.cpp) after it was
// made cheaper: arguments reach the operator intact whatever their count, the Tensor methods pick
// the same overloads (dtype promotion, broadcasting, scalars, in-place, gradients), tensor handles
// cannot be forged or confused with other native-backed objects. Expected values are derived by
// hand. Disposal and the GC backstop of the handles are in handle.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MessageChannel } from "node:worker_threads";
import { arange, callOp, ones, type Tensor, TorchError, tensor, tidy, zeros } from "../../src/torch/index.js";
import { native } from "../../src/torch/native.js";
import { leakCheckEachTest } from "./helpers.js";

leakCheckEachTest();

const values = (t: Tensor) => t.toArray();

describe("argument passing", () => {
  test("one to five arguments, with schema defaults for those left out", () =>
    tidy(() => {
      const a = tensor([1, -2, 3]);
      const b = tensor([10, 20, 30]);
      assert.deepEqual(values(callOp("relu", a)), [1, 0, 3]); // 1 argument
      assert.deepEqual(values(callOp("add.Tensor", a, b)), [11, 18, 33]); // 2, alpha defaults to 1
      assert.deepEqual(values(callOp("add.Tensor", a, b, 2)), [21, 38, 63]); // 3
      assert.deepEqual(values(callOp("addcmul", a, a, b, 0.5)), [6, -22, 48]); // 4: a + 0.5*a*b
      assert.deepEqual(values(callOp("slice.Tensor", arange(10), 0, 1, 9, 3)), [1, 4, 7]); // 5
      assert.deepEqual(values(callOp("slice.Tensor", arange(10), 0, 7)), [7, 8, 9]); // end, step defaulted
      assert.deepEqual(values(callOp("slice.Tensor", arange(10), 0, null, 3, undefined)), [0, 1, 2]);
    }));

  test("arrays of tensors and of integers, and tuple results", () =>
    tidy(() => {
      const cat = callOp<Tensor>("cat", [tensor([1, 2]), tensor([3])], 0);
      assert.deepEqual(values(cat), [1, 2, 3]);
      const [v, i] = callOp<[Tensor, Tensor]>(
        "max.dim",
        tensor([
          [1, 5],
          [7, 2],
        ]),
        1,
        false,
      );
      assert.deepEqual(values(v as Tensor), [5, 7]);
      assert.deepEqual(values(i as Tensor), [1, 0]);
      assert.deepEqual(callOp<Tensor>("view", arange(6), [2, 3]).shape, [2, 3]);
    }));

  test("integer arguments are validated, also past the fourth argument", () =>
    tidy(() => {
      assert.throws(
        () => callOp("slice.Tensor", arange(10), 0, 1, 9, 1.5),
        (e: unknown) =>
          e instanceof TorchError && e.kind === "ValueError" && /^slice\.Tensor: .*'step'/.test(e.message),
      );
      assert.throws(
        () => callOp("narrow", arange(10), 0, 2.5, 3),
        (e: unknown) => e instanceof TorchError && e.kind === "ValueError" && /^narrow: .*'start'/.test(e.message),
      );
    }));
});

describe("Tensor methods choose the operator PyTorch would", () => {
  test("tensor and scalar overloads keep PyTorch's type promotion", () =>
    tidy(() => {
      const i = tensor([1, 2, 3], { dtype: "int64" });
      const f = tensor([0.5, 1.5, 2.5]);
      assert.equal(i.add(2).dtype, "int64"); // an integral JS number is an int Scalar
      assert.deepEqual(values(i.add(2)), [3, 4, 5]);
      assert.equal(i.add(2.5).dtype, "float32"); // a float Scalar promotes to the default float type
      assert.deepEqual(values(i.add(2.5)), [3.5, 4.5, 5.5]);
      assert.equal(i.mul(f).dtype, "float32");
      assert.deepEqual(values(i.mul(f)), [0.5, 3, 7.5]);
      assert.equal(i.div(2).dtype, "float32"); // true division
      assert.deepEqual(values(i.div(2)), [0.5, 1, 1.5]);
      assert.deepEqual(values(i.sub(f, 2)), [0, -1, -2]); // alpha
      assert.deepEqual(values(i.remainder(2)), [1, 0, 1]);
      assert.deepEqual(values(f.gt(1)), [false, true, true]);
      assert.deepEqual(values(f.le(tensor([0.5, 1, 3]))), [true, false, true]);
      assert.deepEqual(values(i.eq(2)), [false, true, false]);
      assert.deepEqual(values(i.ne(i)), [false, false, false]);
    }));

  test("broadcasting and in-place ops", () =>
    tidy(() => {
      const col = tensor([[1], [2]]);
      const row = tensor([10, 20, 30]);
      assert.deepEqual(values(col.add(row)), [
        [11, 21, 31],
        [12, 22, 32],
      ]);
      const x = zeros([2, 3]);
      const same = x.add_(row).mul_(2).sub_(col, 3);
      assert.deepEqual(values(x), [
        [17, 37, 57],
        [14, 34, 54],
      ]);
      assert.deepEqual(values(same), values(x)); // the returned alias sees the same storage
      assert.throws(
        () => tensor([1, 2], { dtype: "int64" }).add_(0.5),
        (e: unknown) => e instanceof TorchError && /^add_\.Scalar: .*can't be cast/.test(e.message),
      );
    }));

  test("gradients flow through the same ops", () =>
    tidy(() => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      const w = tensor([[2], [-1]], { requiresGrad: true });
      // y = sum(w * x + x/2 - 3x) = sum_j (w0 + w1) x_j - 2.5 sum_j x_j
      x.mul(w).add(x.div(2)).sub(x, 3).sum().backward();
      assert.deepEqual(values(x.grad as Tensor), [-4, -4, -4]); // 2 + (-1) - 2*2.5
      assert.deepEqual(values(w.grad as Tensor), [[6], [6]]); // sum(x)
    }));

  test("errors name the overload that ran", () =>
    tidy(() => {
      assert.throws(
        () => ones([2]).add(ones([3])),
        (e: unknown) => e instanceof TorchError && /^add\.Tensor: The size of tensor a \(2\)/.test(e.message),
      );
      assert.throws(
        () => ones([2]).lt(ones([3])),
        (e: unknown) => e instanceof TorchError && /^lt\.Tensor: /.test(e.message),
      );
    }));
});

describe("tensor handles", () => {
  test("native-backed objects that are not tensor handles are TypeErrors", () => {
    const { port1, port2 } = new MessageChannel(); // Node's own wrapper objects also have internal fields
    const t = ones([2]);
    const fakes: unknown[] = [
      port1,
      new Uint8Array(4),
      new DataView(new ArrayBuffer(8)),
      new ArrayBuffer(8),
      new Proxy(t.handle as object, {}),
      Object.create(t.handle as object),
      { ...(t.handle as object) },
      Symbol("x"),
      10n,
    ];
    for (const bad of fakes) {
      assert.throws(
        () => native.shape(bad as never),
        (e: unknown) => (e as Error).name === "TorchError" && (e as { kind?: string }).kind === "TypeError",
      );
      assert.throws(
        () => callOp("add.Tensor", t, bad),
        (e: unknown) => e instanceof TorchError && /^add\.Tensor: expected a Tensor for other/.test(e.message),
      );
    }
    port1.close();
    port2.close();
    t.dispose();
  });
});

// Bad input: wrong shapes, dtype mismatches, out-of-range indices, disposed tensors, misuse of
// autograd and NaN propagation. Each case must be a clear, catchable error (never a crash) that
// names the operator and what was wrong, and must leave no tensors behind.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  arange,
  bmm,
  callOp,
  cat,
  einsum,
  F,
  fromTypedArray,
  manualSeed,
  ones,
  randint,
  randn,
  TorchError,
  tensor,
  tidy,
  where,
  zeros,
} from "../../src/torch/index.js";
import { leakCheckEachTest } from "./helpers.js";

leakCheckEachTest();

const long = (v: number[] | number[][]) => tensor(v, { dtype: "int64" });

/** Asserts fn throws a TorchError whose message matches re (and kind, when given). */
function torchError(fn: () => unknown, re: RegExp, kind?: string): void {
  tidy(() =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof TorchError, `expected a TorchError, got ${String(e)}`);
      assert.match(e.message, re);
      assert.ok(!/\n.*frame #|Exception raised from/.test(e.message), "no C++ backtrace in the message");
      if (kind) assert.equal(e.kind, kind);
      return true;
    }),
  );
}

describe("wrong shapes", () => {
  test("shape mismatches name the op and the sizes", () => {
    torchError(() => randn([2, 3]).matmul(randn([4, 5])), /^matmul: .*2x3 and 4x5/);
    torchError(() => randn([2, 3]).view(4), /^view: shape '\[4\]' is invalid for input of size 6/);
    torchError(() => cat([randn([2, 3]), randn([2, 4])]), /^cat: Sizes of tensors must match/);
    torchError(() => randn([2, 3]).add(randn([4])), /^add\.Tensor: The size of tensor a \(3\) must match/);
    torchError(() => bmm(randn([2, 2]), randn([2, 2])), /^bmm: batch1 must be a 3D tensor/);
    torchError(() => einsum("ij,jk->ik", randn([2, 3]), randn([4, 2])), /^einsum: .*subscript j/);
    torchError(() => randn([2, 3]).expand(4, 3), /^expand: The expanded size/);
    torchError(() => randn([2, 3]).permute(0, 0), /^permute: .*duplicate dims/);
    torchError(() => F.layerNorm(randn([2, 3]), [4]), /^layer_norm: Given normalized_shape=\[4\]/);
    torchError(() => F.maxPool2d(randn([1, 1, 2, 2]), 5), /^max_pool2d: .*Output size is too small/);
    torchError(() => F.gridSample(randn([1, 1, 3, 3]), randn([1, 2, 2, 3])), /grid to have size 2 in last dimension/);
    torchError(
      () => F.conv2d(randn([3, 8, 8]).unsqueeze(0), randn([4, 2, 3, 3])),
      /expects 2 input channels, input has 3/,
    );
    torchError(() => F.crossEntropy(randn([4, 3]), long([0, 1])), /4 rows of logits but 2 targets/);
    torchError(() => F.pad(randn([1, 1, 3, 3]), [], "reflect"), /pad \(reflect\) needs 4 entries/); // crashed LibTorch 1.13
    torchError(() => F.pad(randn([1, 1, 3, 3]), [1, 1, 1, 1, 1], "reflect"), /needs 4 entries/);
    torchError(() => F.pad(randn([3, 3]), [1, 1, 1, 1], "replicate"), /Expected 3 or 4-D input/);
    torchError(() => F.pad(randn([3, 3]), [2.5, 1]), /padding must be integers/);
    torchError(
      () => F.interpolate(randn([1, 1, 2, 2]), { size: 4, scaleFactor: 2 }),
      /exactly one of size or scaleFactor/,
    );
  });

  test("sizes must be non-negative integers", () => {
    torchError(() => zeros([-2]), /zeros: shape must be an array of non-negative integers, got \[-2\]/);
    torchError(() => ones([2.5]), /ones: shape must be an array of non-negative integers/);
    torchError(() => randn([2, Number.NaN]), /randn: shape must be/);
    torchError(() => arange(4).reshape(2.5, 2), /reshape: sizes must be integers, got \[2.5, 2\]/);
    torchError(() => arange(4).view([1.5]), /view: sizes must be integers/);
    torchError(() => fromTypedArray(new Float32Array(3), [2, 2]), /buffer holds 12 bytes but shape needs 16/);
    torchError(() => fromTypedArray(new Float32Array(3), [-1, 3]), /shape entries must be non-negative integers/);
    torchError(() => tensor([[1, 2], [3]]), /ragged nested array at data\[1\]: expected length 2/);
    torchError(() => zeros([1e6, 1e6, 1e6]), /can't allocate memory/);
    torchError(() => arange(0, 5, 0), /step must be nonzero/);
    torchError(() => randn([4]).split(0), /split_size can only be 0/);
    torchError(() => randn([4]).chunk(0), /chunk expects `chunks` to be greater than 0/);
  });
});

describe("dtype mismatches", () => {
  test("mixed float widths, float indices, float targets, non-bool masks", () => {
    torchError(
      () => randn([2, 2]).mm(randn([2, 2], { dtype: "float64" })),
      // LibTorch 1.13: "expected scalar type Float but found Double"; 2.x: "expected m1 and m2 to have the same dtype"
      /^mm: expected (scalar type Float but found Double|m1 and m2 to have the same dtype, but got: float != double)/,
    );
    torchError(
      () => F.conv2d(randn([1, 1, 3, 3]), randn([1, 1, 3, 3], { dtype: "float64" })),
      /^conv2d: expected scalar type/,
    );
    torchError(
      () => randn([3]).indexSelect(0, tensor([0])),
      /^index_select: .*Expected dtype int32 or int64 for index/,
    );
    torchError(
      () => F.crossEntropy(randn([2, 3]), tensor([0, 1])),
      /^cross_entropy_loss: expected (scalar type Long but found Float|target dtype to be Long or Byte, but got Float)/, // 1.13 | 2.x
    );
    torchError(() => where(randn([2]), randn([2]), randn([2])), /where expected condition to be a boolean tensor/);
    // 1.13: "Mask tensor can take 0 and 1 values only"; 2.x: "only supports boolean masks"
    torchError(
      () => randn([2]).maskedFill(randn([2]), 0),
      /Mask tensor can take 0 and 1 values only|only supports boolean masks/,
    );
    torchError(
      () => fromTypedArray(new Float32Array(2), [2], { dtype: "float64" }),
      /dtype float64 needs a Float64Array, got a Float32Array/,
      "TypeError",
    );
    torchError(() => {
      tensor([1], { dtype: "int64" }).requiresGrad = true;
    }, /Only Tensors of floating point and complex dtype can require gradients/);
    assert.throws(() => zeros([2], { dtype: "float8" as never }), /unknown dtype 'float8'; expected one of/);
    assert.throws(() => fromTypedArray(new Uint16Array(2), [2]), /Uint16Array is ambiguous/);
  });
});

describe("out-of-range indices", () => {
  test("indexing ops report the offending index", () => {
    torchError(
      () =>
        randn([2, 3]).gather(
          1,
          long([
            [0, 5],
            [1, 1],
          ]),
        ),
      /^gather: index 5 is out of bounds for dimension 1 with size 3/,
    );
    torchError(() => randn([3]).indexSelect(0, long([7])), /^index_select: index out of range/, "IndexError");
    torchError(
      () => randn([3]).index([long([7])]),
      /index 7 is out of bounds for dimension 0 with size 3/,
      "IndexError",
    );
    torchError(() => zeros([2, 3]).scatter(1, long([[9]]), 1), /index 9 is out of bounds for dimension 1/);
    torchError(() => randn([3]).select(0, 5), /index 5 out of range for tensor of size \[3\]/, "IndexError");
    torchError(() => randn([3]).narrow(0, 2, 5), /start \(2\) \+ length \(5\) exceeds dimension size \(3\)/);
    torchError(() => randn([2]).squeeze(3), /Dimension out of range/, "IndexError");
    torchError(() => randn([3]).topk(5), /selected index k out of range/);
    torchError(() => randn([2, 3]).size(2), /dimension 2 is out of range for a 2-D tensor/, "IndexError");
    torchError(() => F.crossEntropy(randn([2, 3]), long([0, 5])), /Target 5 is out of bounds/, "IndexError");
    torchError(() => F.crossEntropy(randn([2, 3]), long([0, -3])), /Target -3 is out of bounds/, "IndexError");
    torchError(() => F.embedding(long([10]), randn([3, 2])), /index out of range/, "IndexError");
    torchError(() => F.oneHot(long([5]), 3), /Class values must be smaller than num_classes/);
    torchError(() => F.oneHot(long([-1]), 3), /Class values must be non-negative/);
    assert.throws(() => randint(5, 5, [2]), /randint needs high > low/);
  });
});

describe("disposed tensors and misuse", () => {
  test("a disposed tensor cannot be used again, as receiver or argument", () => {
    const a = randn([2]);
    a.dispose();
    torchError(() => a.add(1), /this tensor has already been disposed/, "DisposedError");
    torchError(() => randn([2]).add(a), /already been disposed/, "DisposedError");
    torchError(() => cat([a]), /already been disposed/, "DisposedError");
    torchError(() => a.shape, /already been disposed/, "DisposedError");
    torchError(() => a.item(), /already been disposed/, "DisposedError");
    assert.ok(a.isDisposed);
  });

  test("autograd misuse", () => {
    torchError(
      () => randn([2], { requiresGrad: true }).mul(2).backward(),
      /grad can be implicitly created only for scalar outputs/,
    );
    torchError(() => {
      const x = randn([2], { requiresGrad: true });
      const y = x.mul(x).sum();
      y.backward();
      y.backward();
    }, /backward through the graph a second time/);
    torchError(() => randn([2]).sum().backward(), /does not require grad/);
    torchError(() => randn([2]).item(), /item\(\) needs a tensor with one element, got 2/, "ValueError");
  });

  test("the generic op bridge validates names, arity and argument types", () => {
    torchError(() => callOp("nonexistent_op"), /no operator aten::nonexistent_op/, "NotImplementedError");
    torchError(() => callOp("relu", "hello"), /^relu: expected a Tensor for self/, "TypeError");
    torchError(() => callOp("relu"), /missing required argument 'self'/, "TypeError");
    torchError(() => callOp("relu", randn([2]), 1, 2, 3), /takes 1 arguments but 4 were given/, "TypeError");
    torchError(() => randn([2]).to("cuda:7"), /CUDA/);
    torchError(() => randn([4]).expand(4.5), /expand: sizes must be integers/);
    assert.throws(() => manualSeed(-1), /seed must be a non-negative integer/);
  });
});

describe("NaN handling", () => {
  test("NaN propagates through ops instead of failing", () =>
    tidy(() => {
      const nan = Number.NaN;
      assert.ok(Number.isNaN(tensor([1, nan]).max().item()));
      assert.ok(Number.isNaN(tensor([nan]).clamp(0, 1).item()));
      assert.ok(
        Number.isNaN(
          F.maxPool2d(
            tensor([
              [
                [
                  [1, nan],
                  [0, 2],
                ],
              ],
            ]),
            2,
          ).item(),
        ),
      );
      assert.ok(Number.isNaN(F.crossEntropy(tensor([[nan, 1]]), long([0])).item()));
      assert.ok(
        F.softmax(tensor([[nan, 1]]), 1)
          .isnan()
          .all()
          .item() === 1,
      );
      assert.equal(tensor([1, nan, 3]).argmax().item(), 1, "argmax treats NaN as the maximum, like torch");
      assert.deepEqual(tensor([nan, 1, 0]).sort().values.toNumbers(), [0, 1, nan], "NaN sorts last");
      assert.deepEqual(tensor([1, 2], { dtype: "int64" }).div(0).toNumbers(), [Infinity, Infinity]);
      torchError(() => tensor([1, 2], { dtype: "int64" }).remainder(0), /ZeroDivisionError/);
      // a NaN loss still backpropagates (NaN gradients), so training code can detect it
      const x = tensor([nan, 1], { requiresGrad: true });
      x.mul(2).sum().backward();
      assert.deepEqual(x.grad?.toNumbers(), [2, 2]);
      const y = tensor([1, 2], { requiresGrad: true });
      y.log()
        .mul(tensor([nan, 1]))
        .sum()
        .backward();
      assert.ok(Number.isNaN(y.grad?.toNumbers()[0] as number));
    }));
});

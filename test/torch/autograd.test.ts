// Gradients of the differentiable tensor ops (elementwise, reductions, linear algebra, indexing,
// joining) against float64 central finite differences, and the autograd API itself.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  backward,
  bmm,
  cat,
  einsum,
  enableGrad,
  grad,
  isGradEnabled,
  manualSeed,
  noGrad,
  rand,
  randn,
  stack,
  type Tensor,
  tensor,
  tidy,
  where,
} from "../../src/torch/index.js";
import { gradcheck } from "./gradcheck.js";
import { assertClose, leakCheckEachTest } from "./helpers.js";

leakCheckEachTest();

/** The gradient of t, failing the test when there is none. */
function gradOf(t: Tensor): Tensor {
  const g = t.grad;
  assert.ok(g !== null, "expected a gradient");
  return g;
}

/** A float64 leaf requiring grad, uniform in [lo, hi). */
function x64(shape: number[], lo = -1, hi = 1): Tensor {
  return tidy(() =>
    rand(shape, { dtype: "float64" })
      .mul(hi - lo)
      .add(lo),
  ).requiresGrad_();
}

describe("elementwise gradients (float64 finite differences)", () => {
  const unary: [string, (x: Tensor) => Tensor, number, number][] = [
    ["neg", (x) => x.neg(), -1, 1],
    ["abs", (x) => x.abs(), 0.1, 1], // away from the kink at 0
    ["exp", (x) => x.exp(), -1, 1],
    ["log", (x) => x.log(), 0.5, 2],
    ["log1p", (x) => x.log1p(), 0, 1],
    ["sqrt", (x) => x.sqrt(), 0.5, 2],
    ["rsqrt", (x) => x.rsqrt(), 0.5, 2],
    ["square", (x) => x.square(), -1, 1],
    ["reciprocal", (x) => x.reciprocal(), 0.5, 2],
    ["pow 3", (x) => x.pow(3), -1, 1],
    ["pow 0.5", (x) => x.pow(0.5), 0.5, 2],
    ["sin", (x) => x.sin(), -2, 2],
    ["cos", (x) => x.cos(), -2, 2],
    ["acos", (x) => x.acos(), -0.9, 0.9],
    ["asin", (x) => x.asin(), -0.9, 0.9],
    ["tanh", (x) => x.tanh(), -2, 2],
    ["sigmoid", (x) => x.sigmoid(), -2, 2],
    ["relu", (x) => x.relu(), -1, 1],
    ["clamp(-0.5, 0.5)", (x) => x.clamp(-0.5, 0.5), -1, 1],
    ["clamp(min 0.2)", (x) => x.clamp(0.2), -1, 1],
  ];
  for (const [name, fn, lo, hi] of unary) {
    test(name, () =>
      tidy(() => {
        manualSeed(1);
        gradcheck(fn, [x64([3, 4], lo, hi)], { name });
      }),
    );
  }

  test("binary ops with broadcasting", () =>
    tidy(() => {
      manualSeed(2);
      const a = x64([2, 3, 4]);
      const b = x64([3, 1], 0.5, 1.5);
      gradcheck((x, y) => x.add(y, 2), [a, b], { name: "add alpha" });
      gradcheck((x, y) => x.sub(y), [a, b], { name: "sub" });
      gradcheck((x, y) => x.mul(y), [a, b], { name: "mul" });
      gradcheck((x, y) => x.div(y), [a, b], { name: "div" });
      gradcheck((x, y) => y.pow(x), [a, b], { name: "pow tensor" });
      gradcheck((x, y) => x.maximum(y.sub(1)), [a, b], { name: "maximum" });
      gradcheck((x, y) => x.minimum(y.sub(1)), [a, b], { name: "minimum" });
      gradcheck((x) => x.mul(3).rsub(1), [a], { name: "rsub" });
    }));

  test("where and masked_fill pass gradients only where selected", () =>
    tidy(() => {
      manualSeed(3);
      const a = x64([4, 5]);
      const b = x64([4, 5]);
      const cond = rand([4, 5]).gt(0.5);
      gradcheck((x, y) => where(cond, x, y), [a, b], { name: "where" });
      gradcheck((x) => x.maskedFill(cond, 0.25), [a], { name: "masked_fill" });
    }));
});

describe("reduction gradients", () => {
  test("sum, mean, prod, var, std with dims", () =>
    tidy(() => {
      manualSeed(4);
      const x = x64([3, 4, 2], 0.5, 1.5);
      gradcheck((t) => t.sum(), [x], { name: "sum" });
      gradcheck((t) => t.sum([0, 2], true), [x], { name: "sum dims" });
      gradcheck((t) => t.mean(1), [x], { name: "mean" });
      gradcheck((t) => t.prod(1), [x], { name: "prod" });
      gradcheck((t) => t.var(1), [x], { name: "var" });
      gradcheck((t) => t.var([0, 2], { unbiased: false, keepdim: true }), [x], { name: "var biased" });
      gradcheck((t) => t.std(0), [x], { name: "std" });
      gradcheck((t) => t.cumsum(1), [x], { name: "cumsum" });
    }));

  test("max/min/amax with dims, norm, logsumexp", () =>
    tidy(() => {
      manualSeed(5);
      const x = x64([3, 5]);
      gradcheck((t) => t.max(1).values, [x], { name: "max dim" });
      gradcheck((t) => t.min(0, true).values, [x], { name: "min dim" });
      gradcheck((t) => t.max(), [x], { name: "max all" });
      gradcheck((t) => t.amax(1), [x], { name: "amax" });
      gradcheck((t) => t.norm(), [x], { name: "norm" });
      gradcheck((t) => t.norm(2, 1, true), [x], { name: "norm dim" });
      gradcheck((t) => t.norm(1, 0), [x], { name: "L1 norm" });
      gradcheck((t) => t.logsumexp(1), [x], { name: "logsumexp" });
      gradcheck((t) => t.topk(2, 1).values, [x], { name: "topk" });
      gradcheck((t) => t.sort(1).values, [x], { name: "sort" });
    }));
});

describe("linear algebra gradients", () => {
  test("matmul, mm, bmm, einsum, dot", () =>
    tidy(() => {
      manualSeed(6);
      const a = x64([2, 3, 4]);
      const b = x64([2, 4, 5]);
      gradcheck((x, y) => bmm(x, y), [a, b], { name: "bmm" });
      gradcheck((x, y) => x.matmul(y), [a, b], { name: "matmul batched" });
      gradcheck((x, y) => einsum("bij,bjk->bik", x, y), [a, b], { name: "einsum bmm" });
      gradcheck((x, y) => einsum("bij,bjk->ik", x, y), [a, b], { name: "einsum contract batch" });
      const m = x64([3, 4]);
      const n = x64([4, 2]);
      gradcheck((x, y) => x.mm(y), [m, n], { name: "mm" });
      gradcheck((x) => x.t().matmul(x), [m], { name: "gram" });
      const v = x64([4]);
      gradcheck((x, y) => x.matmul(y), [m, v], { name: "matrix-vector" });
      gradcheck((x) => x.dot(x), [v], { name: "dot" });
    }));
});

describe("indexing and shape gradients", () => {
  test("gather, index_select, scatter, scatter_add, index", () =>
    tidy(() => {
      manualSeed(7);
      const x = x64([3, 4]);
      const idx = tensor(
        [
          [0, 3],
          [1, 1],
          [2, 0],
        ],
        { dtype: "int64" },
      );
      gradcheck((t) => t.gather(1, idx), [x], { name: "gather" });
      const rows = tensor([2, 0, 2], { dtype: "int64" });
      gradcheck((t) => t.indexSelect(0, rows), [x], { name: "index_select" });
      gradcheck((t) => t.index([rows]), [x], { name: "index" });
      const src = x64([3, 2]);
      gradcheck((t, s) => t.scatter(1, idx.narrow(1, 0, 1), s.narrow(1, 0, 1)), [x, src], { name: "scatter" });
      gradcheck((t, s) => t.scatterAdd(1, idx, s), [x, src], { name: "scatter_add" });
      gradcheck((t) => t.scatter(1, idx, 0.5), [x], { name: "scatter value" });
    }));

  test("view ops, slicing, cat, stack, split", () =>
    tidy(() => {
      manualSeed(8);
      const x = x64([2, 3, 4]);
      const y = x64([2, 3, 4]);
      gradcheck((t) => t.permute(2, 0, 1).reshape(4, 6), [x], { name: "permute+reshape" });
      gradcheck((t) => t.transpose(0, 2).contiguous().view(-1), [x], { name: "transpose" });
      gradcheck((t) => t.slice(2, 1, undefined, 2), [x], { name: "slice step" });
      gradcheck((t) => t.select(1, -1), [x], { name: "select" });
      gradcheck((t) => t.narrow(2, 1, 2).flip([0]), [x], { name: "narrow+flip" });
      gradcheck((t) => t.unsqueeze(1).expand(2, 5, 3, 4), [x], { name: "expand" });
      gradcheck((t) => t.repeat(1, 2, 1), [x], { name: "repeat" });
      gradcheck((t, u) => cat([t, u], 1), [x, y], { name: "cat" });
      gradcheck((t, u) => stack([t, u], -1), [x, y], { name: "stack" });
      gradcheck((t) => t.split(1, 2)[1] as Tensor, [x], { name: "split" });
      gradcheck((t) => t.chunk(2, 2)[0] as Tensor, [x], { name: "chunk" });
    }));
});

describe("autograd API", () => {
  test("backward accumulates into .grad; detach stops gradients", () =>
    tidy(() => {
      const x = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
      x.mul(x).sum().backward(); // d/dx x² = 2x
      assertClose(gradOf(x), [2, 4, 6]);
      x.mul(3).sum().backward(); // accumulates: 2x + 3
      assertClose(gradOf(x), [5, 7, 9]);
      x.grad = null;
      assert.equal(x.grad, null);
      const d = x.detach();
      assert.equal(d.requiresGrad, false);
      const y = x.mul(d).sum(); // gradient flows only through the first factor
      y.backward();
      assertClose(gradOf(x), [1, 2, 3]);
    }));

  test("grad() leaves .grad alone and supports createGraph (second derivative)", () =>
    tidy(() => {
      const x = tensor([0.5, -1.5], { dtype: "float64", requiresGrad: true });
      const y = x.pow(3).sum();
      const [g] = grad([y], [x], { createGraph: true });
      assertClose(g as Tensor, [0.75, 6.75]); // 3x²
      assert.equal(x.grad, null);
      const [h] = grad([(g as Tensor).sum()], [x]);
      assertClose(h as Tensor, [3, -9]); // 6x
    }));

  test("backward of several outputs and of a non-scalar with a gradient", () =>
    tidy(() => {
      const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
      backward([x.mul(2).sum(), x.square().sum()]);
      assertClose(gradOf(x), [4, 6]);
      x.grad = null;
      x.mul(x).backward(tensor([1, 10], { dtype: "float64" }));
      assertClose(gradOf(x), [2, 40]);
    }));

  test("retainGrad keeps a non-leaf gradient; isLeaf", () =>
    tidy(() => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = x.mul(2);
      y.retainGrad();
      y.sum().backward();
      assert.equal(x.isLeaf, true);
      assert.equal(y.isLeaf, false);
      assertClose(gradOf(y), [1, 1]);
    }));

  test("noGrad / enableGrad nest and restore the mode, also on throw", () =>
    tidy(() => {
      const x = tensor([1], { requiresGrad: true });
      assert.equal(isGradEnabled(), true);
      const y = noGrad(() => {
        assert.equal(isGradEnabled(), false);
        const inner = enableGrad(() => x.mul(2));
        assert.equal(isGradEnabled(), false);
        return { a: x.mul(2), inner };
      });
      assert.equal(y.a.requiresGrad, false);
      assert.equal(y.inner.requiresGrad, true);
      assert.throws(() =>
        noGrad(() => {
          throw new Error("boom");
        }),
      );
      assert.equal(isGradEnabled(), true);
      assert.throws(() => noGrad(async () => 1), /synchronous/);
      assert.equal(isGradEnabled(), true);
    }));

  test("in-place update of a leaf under noGrad keeps it a leaf", () =>
    tidy(() => {
      const p = randn([3], { dtype: "float64" }).requiresGrad_();
      p.mul(p).sum().backward();
      const before = p.detach().clone();
      noGrad(() => p.sub_(gradOf(p).mul(0.1)));
      assert.equal(p.isLeaf, true);
      assertClose(p, before.mul(0.8)); // p - 0.1·2p
    }));
});

describe("the gradient checker itself", () => {
  test("rejects a function whose autograd gradient is wrong", () =>
    tidy(() => {
      const x = x64([4], 0.5, 1);
      // x.detach()*x has true derivative 2x but autograd sees only x: the checker must object.
      assert.throws(() => gradcheck((t) => t.detach().mul(t), [x], { name: "detached" }), /finite difference/);
    }));
});

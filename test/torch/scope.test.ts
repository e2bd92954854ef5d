// Dispose scopes: tidy (sync and async), keep, moveToOuter, scope() with `using`, Tensor `using`,
// and the native live-tensor counter they are measured by.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  keep,
  liveTensors,
  moveToOuter,
  ones,
  scope,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "../../src/torch/index.js";
import { assertNoLeak, leakCheckEachTest } from "./helpers.js";

leakCheckEachTest();

describe("tidy (synchronous)", () => {
  test("disposes temporaries and lets the result escape", () => {
    const start = liveTensors();
    let tmp: Tensor | undefined;
    const out = tidy(() => {
      tmp = ones([3]);
      return tmp.add(1);
    });
    assert.ok(tmp?.isDisposed, "temporary disposed");
    assert.ok(!out.isDisposed);
    assert.deepEqual(out.toNumbers(), [2, 2, 2]);
    assert.equal(liveTensors(), start + 1);
    out.dispose();
    assert.equal(liveTensors(), start);
  });

  test("tensors inside returned arrays, objects and Maps escape", () => {
    const r = tidy(() => {
      ones([1]);
      return { a: [zeros([1]), ones([1])], m: new Map([["k", ones([2])]]), n: 3 };
    });
    const all = [...r.a, r.m.get("k") as Tensor];
    assert.ok(all.every((t) => !t.isDisposed));
    for (const t of all) t.dispose();
  });

  test("nested tidy: the inner result belongs to the outer scope", () => {
    let inner: Tensor | undefined;
    tidy(() => {
      inner = tidy(() => ones([1]).mul(2));
      assert.ok(!inner.isDisposed);
    });
    assert.ok(inner?.isDisposed, "disposed when the outer scope ended");
  });

  test("a throwing body disposes everything it created and rethrows", () => {
    const start = liveTensors();
    let t: Tensor | undefined;
    assert.throws(
      () =>
        tidy(() => {
          t = ones([4]);
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.ok(t?.isDisposed);
    assert.equal(liveTensors(), start);
  });

  test("a tensor created outside is not disposed when returned from or used in tidy", () => {
    const outer = ones([2]);
    const same = tidy(() => {
      outer.add(1);
      return outer;
    });
    assert.equal(same, outer);
    assert.ok(!outer.isDisposed);
    outer.dispose();
  });
});

describe("tidy (asynchronous)", () => {
  test("tracks tensors created after await and releases the resolved value", async () => {
    const start = liveTensors();
    let before: Tensor | undefined;
    let after: Tensor | undefined;
    const out = await tidy(async () => {
      before = ones([2]);
      await sleep(1);
      after = ones([2]).mul(3);
      await Promise.resolve();
      return after.add(before);
    });
    assert.ok(before?.isDisposed && after?.isDisposed);
    assert.deepEqual(out.toNumbers(), [4, 4]);
    out.dispose();
    assert.equal(liveTensors(), start);
  });

  test("interleaved async scopes keep their own tensors", async () => {
    const made: Record<string, Tensor[]> = { a: [], b: [] };
    const work = (k: "a" | "b", delay: number) =>
      tidy(async () => {
        for (let i = 0; i < 3; i++) {
          made[k]?.push(ones([1]));
          await sleep(delay);
        }
        return made[k]?.[0]?.add(0) as Tensor;
      });
    const [ra, rb] = await Promise.all([work("a", 2), work("b", 1)]);
    assert.ok([...(made.a ?? []), ...(made.b ?? [])].every((t) => t.isDisposed));
    assert.ok(!ra.isDisposed && !rb.isDisposed);
    ra.dispose();
    rb.dispose();
  });

  test("a rejected body disposes its tensors", async () => {
    let t: Tensor | undefined;
    await assert.rejects(
      tidy(async () => {
        t = ones([1]);
        await sleep(1);
        throw new Error("late boom");
      }),
      /late boom/,
    );
    assert.ok(t?.isDisposed);
  });
});

describe("keep, moveToOuter, scope(), using", () => {
  test("keep takes a tensor out of scope management", () => {
    const k = tidy(() => {
      const t = keep(ones([2]));
      zeros([1]);
      return { n: 1, t };
    }).t;
    assert.ok(!k.isDisposed);
    tidy(() => {
      keep(k); // already unscoped: no-op
    });
    assert.ok(!k.isDisposed);
    k.dispose();
  });

  test("moveToOuter hands a tensor to the enclosing scope only", () => {
    let moved: Tensor | undefined;
    tidy(() => {
      tidy(() => {
        moved = moveToOuter(ones([1]));
      });
      assert.ok(!moved?.isDisposed, "alive in the outer scope");
    });
    assert.ok(moved?.isDisposed, "disposed with the outer scope");
    const free = tidy(() => tidy(() => moveToOuter(moveToOuter(ones([1])))));
    assert.ok(!free.isDisposed);
    free.dispose();
  });

  test("using scope() disposes at block end, except escaped tensors", () => {
    const start = liveTensors();
    let tmp: Tensor;
    let kept: Tensor;
    {
      using s = scope();
      tmp = ones([3]);
      kept = s.escape(tmp.mul(2));
    }
    assert.ok(tmp.isDisposed);
    assert.ok(!kept.isDisposed);
    assert.equal(liveTensors(), start + 1);
    kept.dispose();
  });

  test("using on a Tensor disposes it; dispose is idempotent", () => {
    const start = liveTensors();
    let t: Tensor;
    {
      using x = tensor([1, 2]);
      t = x;
      assert.equal(liveTensors(), start + 1);
    }
    assert.ok(t.isDisposed);
    t.dispose();
    assert.equal(liveTensors(), start);
  });

  test("the native counter counts views and aliases as separate handles", async () => {
    await assertNoLeak(() => {
      const start = liveTensors();
      const a = ones([4]);
      const v = a.view(2, 2);
      const g = a.add_(1);
      assert.equal(liveTensors(), start + 3);
      a.dispose();
      assert.deepEqual(v.toNumbers(), [2, 2, 2, 2], "a view keeps the storage alive");
      v.dispose();
      g.dispose();
    });
  });

  test("an autograd graph's saved tensors are not counted as handles", async () => {
    await assertNoLeak(() =>
      tidy(() => {
        const x = ones([3], { requiresGrad: true });
        const before = liveTensors();
        const y = x.mul(x).exp().sum();
        assert.equal(liveTensors(), before + 3, "one handle per op result (mul, exp, sum)");
        y.backward();
        const g = x.grad;
        assert.ok(g !== null);
        assert.equal(liveTensors(), before + 4, "plus the fresh handle from .grad");
      }),
    );
  });
});

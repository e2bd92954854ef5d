// Shared test helpers for code on top of facelab/torch: leak checks and numeric comparisons.
// Use `leakCheckEachTest()` at the top of a test file, or wrap a body in `assertNoLeak`.
import assert from "node:assert/strict";
import { afterEach, beforeEach } from "node:test";
import { liveTensors, type Tensor } from "../../src/torch/index.js";

/** Runs fn (sync or async) and asserts the native live-tensor count is back where it started. */
export async function assertNoLeak<T>(fn: () => T | Promise<T>, what = "test body"): Promise<T> {
  const before = liveTensors();
  const result = await fn();
  const after = liveTensors();
  assert.equal(after, before, `${what} leaked ${after - before} tensor(s) (live ${before} -> ${after})`);
  return result;
}

/**
 * Registers beforeEach/afterEach hooks asserting that every test in the file (or the enclosing
 * describe) returns liveTensors() to the value it had when the test started.
 */
export function leakCheckEachTest(): void {
  let before = 0;
  beforeEach(() => {
    before = liveTensors();
  });
  afterEach((t) => {
    const after = liveTensors();
    assert.equal(after, before, `${t.name} leaked ${after - before} tensor(s) (live ${before} -> ${after})`);
  });
}

export interface CloseOptions {
  atol?: number;
  rtol?: number;
  what?: string;
}

/** Asserts |a - e| <= atol + rtol*|e| elementwise; shapes must match when both are tensors. */
export function assertClose(
  actual: Tensor | number[] | number,
  expected: Tensor | number[] | number,
  o: CloseOptions = {},
): void {
  const atol = o.atol ?? 1e-5;
  const rtol = o.rtol ?? 1e-4;
  const what = o.what ?? "value";
  const toNums = (v: Tensor | number[] | number): number[] =>
    typeof v === "number" ? [v] : Array.isArray(v) ? v : v.toNumbers();
  if (typeof actual === "object" && !Array.isArray(actual) && typeof expected === "object" && !Array.isArray(expected))
    assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = toNums(actual);
  const e = toNums(expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = e[i] as number;
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    const ok = Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) assert.fail(`${what}[${i}] = ${x}, expected ${y} (atol ${atol}, rtol ${rtol})`);
  }
}

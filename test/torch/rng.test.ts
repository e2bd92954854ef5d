// The one seeded PRNG (src/torch/rng.ts): mulberry32 against values from an independent Python
// implementation of the reference algorithm, and every stream built on it (Rng, the bias study's
// bootstrap rng, the distributed sampler) draws from that one core.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mix32, mulberry32, Rng, seedOf, uniformStream } from "../../src/torch/rng.js";

test("mulberry32 matches the reference algorithm (Python, 32-bit arithmetic)", () => {
  const draw = (seed: number) => {
    const r = mulberry32(seed);
    return [r(), r(), r()];
  };
  assert.deepEqual(draw(1), [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  assert.deepEqual(draw(12345), [0.9797282677609473, 0.3067522644996643, 0.484205421525985]);
});

test("Rng and the bias study's bootstrap stream are mulberry32 with their own seeding", () => {
  const a = new Rng(7);
  const b = mulberry32(mix32(7));
  for (let i = 0; i < 5; i++) assert.equal(a.next(), b());
  const c = uniformStream(3);
  const d = mulberry32(3 + 0x9e3779b9);
  for (let i = 0; i < 5; i++) assert.equal(c(), d());
});

test("seedOf is 32-bit FNV-1a of the parts joined by |", () => {
  // Published FNV-1a test vectors: "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
  assert.equal(seedOf("a"), 0xe40c292c);
  assert.equal(seedOf("foobar"), 0xbf9cf968);
  assert.equal(seedOf("foo", "bar"), seedOf("foo|bar"));
  assert.equal(seedOf(7, "x"), seedOf("7|x"));
});

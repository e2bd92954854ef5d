// DistributedSampler and bucketing: pure index/size arithmetic, checked by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DistributedSampler, makeBuckets } from "../../../src/torch/distributed/index.js";
import { liveTensors, tidy, zeros } from "../../../src/torch/index.js";

test("unshuffled shards interleave like torch's DistributedSampler and pad by wrapping", () => {
  const s0 = new DistributedSampler(5, { rank: 0, worldSize: 2, shuffle: false });
  const s1 = new DistributedSampler(5, { rank: 1, worldSize: 2, shuffle: false });
  assert.deepEqual(s0.indices(), [0, 2, 4]);
  assert.deepEqual(s1.indices(), [1, 3, 0]); // 6 slots for 5 samples: index 0 repeats
  const d1 = new DistributedSampler(5, { rank: 1, worldSize: 2, shuffle: false, dropLast: true });
  assert.deepEqual(d1.indices(), [1, 3]);
});

test("shuffled shards partition one permutation per epoch, same on every rank", () => {
  const shards = (epoch: number) =>
    [0, 1, 2].map((rank) => {
      const s = new DistributedSampler(12, { rank, worldSize: 3, seed: 5 });
      s.setEpoch(epoch);
      return s.indices();
    });
  const e0 = shards(0);
  assert.deepEqual(
    e0.flat().sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i),
  );
  assert.deepEqual(shards(0), e0); // deterministic
  assert.notDeepEqual(shards(1), e0); // a new order each epoch
  assert.notDeepEqual(
    e0.flat(),
    Array.from({ length: 12 }, (_, i) => i),
  );
});

test("invalid sampler arguments name what was wrong", () => {
  assert.throws(() => new DistributedSampler(4, { rank: 2, worldSize: 2 }), /rank must be in \[0, 2\), got 2/);
  assert.throws(() => new DistributedSampler(0), /size must be a positive integer/);
});

test("buckets keep order, split at the byte cap and at dtype changes", () => {
  const start = liveTensors();
  tidy(() => {
    const a = zeros([10]); // 40 B
    const b = zeros([10]); // 40 B
    const c = zeros([30]); // 120 B: bigger than the cap, alone
    const d = zeros([2], { dtype: "float64" });
    const e = zeros([1]);
    const buckets = makeBuckets([a, b, c, d, e], 100);
    assert.deepEqual(
      buckets.map((bk) => bk.map((t) => t.numel)),
      [[10, 10], [30], [2], [1]],
    );
  });
  assert.equal(liveTensors(), start);
});

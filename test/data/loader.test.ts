import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryImageSet } from "../../src/data/imageset.js";
import { Loader } from "../../src/data/loader.js";
import { liveTensors, tidy } from "../../src/torch/index.js";

// 10 images of 2×2×3 whose bytes encode their index; labels 0/1 with 8 vs 2 items.
const N = 10;
const px = new Uint8Array(N * 12).map((_, i) => Math.floor(i / 12) * 10);
const items = Array.from({ length: N }, (_, i) => ({ dataset: "t", source: `#${i}`, label: i < 8 ? 0 : 1 }));
const set = new MemoryImageSet("t", px, 2, 2, 3, items);

async function collect(l: Loader, epoch = 0) {
  const out: number[][] = [];
  for await (const b of l.epoch(epoch)) out.push([...b.indices]);
  return out;
}

test("sequential batches cover the set; dropLast drops the short one", async () => {
  assert.deepEqual(await collect(new Loader(set, { batchSize: 4, order: "sequential" })), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  const l = new Loader(set, { batchSize: 4, order: "sequential", dropLast: true });
  assert.equal(l.length, 2);
  assert.equal((await collect(l)).length, 2);
});

test("shuffle is a seeded permutation per epoch", async () => {
  const l = new Loader(set, { batchSize: 3, seed: 7 });
  const e0 = (await collect(l, 0)).flat();
  assert.deepEqual(
    [...e0].sort((a, b) => a - b),
    [...Array(N).keys()],
  );
  assert.deepEqual((await collect(new Loader(set, { batchSize: 3, seed: 7 }), 0)).flat(), e0);
  assert.notDeepEqual((await collect(l, 1)).flat(), e0);
});

test("ranks get equal-sized strided shards of one permutation that together cover the set (DistributedSampler)", async () => {
  const shards = await Promise.all(
    [0, 1, 2].map((rank) => collect(new Loader(set, { batchSize: 2, seed: 3, rank, worldSize: 3 }))),
  );
  const flat = shards.map((s) => s.flat());
  for (const f of flat) assert.equal(f.length, 4); // ceil(10/3), padded by wrapping
  const perm = (await collect(new Loader(set, { batchSize: 2, seed: 3 }))).flat();
  flat.forEach((f, r) => {
    for (const [k, v] of f.entries()) assert.equal(v, perm[(r + 3 * k) % N]);
  });
  assert.deepEqual(
    [...new Set(flat.flat())].sort((a, b) => a - b),
    [...Array(N).keys()],
  );
  assert.throws(() => new Loader(set, { batchSize: 2, rank: 3, worldSize: 3 }), /rank 3 must be in \[0, worldSize=3\)/);
});

test("balanced order evens out the classes", async () => {
  const l = new Loader(set, { batchSize: 10, order: "balanced", seed: 1 });
  let ones = 0;
  for (let e = 0; e < 100; e++) for (const i of (await collect(l, e)).flat()) ones += i >= 8 ? 1 : 0;
  assert.ok(Math.abs(ones / 1000 - 0.5) < 0.06, `${ones}`);
});

test("batches become float NCHW tensors and labels in the caller's scope", async () => {
  const start = liveTensors();
  const l = new Loader(set, { batchSize: 4, order: "sequential" });
  for await (const b of l.epoch(0)) {
    tidy(() => {
      const x = b.images();
      assert.deepEqual(x.shape, [b.size, 3, 2, 2]);
      assert.ok(Math.abs(x.select(0, 0).mean().item() - ((b.indices[0] as number) * 10) / 255) < 1e-6);
      assert.deepEqual(
        b.labelTensor().toNumbers(),
        [...b.indices].map((i) => (i < 8 ? 0 : 1)),
      );
    });
  }
  assert.equal(liveTensors(), start);
});

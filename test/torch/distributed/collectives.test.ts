// Two processes on loopback: values every collective delivers, by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runRanks } from "./fixtures/spawn.js";

test("all-reduce, broadcast, all-gather, reduce-scatter and barrier across 2 processes", async () => {
  const ranks = await runRanks("collectives.ts", 2);
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  for (const { rank, result } of ranks) {
    const o = result as Record<string, unknown>;
    assert.deepEqual(o.sum, [3, 30]); // (1 + 2), (10 + 20)
    assert.deepEqual(o.avg, [1.5, 15]);
    assert.deepEqual(o.max, [1, 0]); // max(0,1), max(0,-1)
    assert.deepEqual(o.tr, [
      [1, 4],
      [2, 6],
    ]); // transpose of [[0+1, 1+1], [2+2, 3+3]]
    assert.deepEqual(o.b, [1, 1, 1]); // rank 1's values
    assert.deepEqual(o.parts, [[[0, 0.5]], [[1, 1.5]]]);
    // sum over ranks of [1,2,3,4]·(r+1) = [3,6,9,12]; rank 0 keeps [3,6], rank 1 [9,12]
    assert.deepEqual(o.rs, rank === 0 ? [3, 6] : [9, 12]);
    assert.equal(o.timerFired, true);
    assert.deepEqual(o.metrics, { loss: 1.5, acc: 0.25 });
    assert.equal(o.leaked, 0);
  }
});

test("DistributedDataParallel.wrap gives every rank rank 0's parameters and buffers of an nn.Module", async () => {
  const ranks = await runRanks("module.ts", 2);
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  const [a, b] = ranks.map((r) => r.result as { params: number[][]; buffers: number[][] });
  assert.deepEqual(b?.params, a?.params);
  assert.deepEqual(b?.buffers, a?.buffers);
  // rank 0 filled its float buffers (running mean/var) with 1, rank 1 with 2
  assert.deepEqual(b?.buffers[0], [1, 1]);
  assert.equal(a?.params.length, 4); // Linear weight, bias; BatchNorm weight, bias
});

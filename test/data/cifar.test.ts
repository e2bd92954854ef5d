import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readCifar10, readCifar10Files } from "../../src/data/cifar.js";

/** One CIFAR-10 binary record: label byte, then R plane, G plane, B plane (32×32 each). */
function record(label: number, r: number, g: number, b: number): Buffer {
  const rec = Buffer.alloc(3073);
  rec[0] = label;
  rec.fill(r, 1, 1025);
  rec.fill(g, 1025, 2049);
  rec.fill(b, 2049, 3073);
  rec[1 + 33] = 200; // red at pixel (row 1, col 1)
  return rec;
}

function dir(): string {
  return mkdtempSync(join(tmpdir(), "facelab-cifar-"));
}

test("planar records become interleaved HWC with their labels", async () => {
  const d = dir();
  writeFileSync(join(d, "test_batch.bin"), Buffer.concat([record(3, 10, 20, 30), record(9, 1, 2, 3)]));
  const set = readCifar10(d, "test");
  assert.equal(set.count, 2);
  assert.deepEqual([set.height, set.width, set.channels], [32, 32, 3]);
  assert.deepEqual(
    set.items.map((i) => i.label),
    [3, 9],
  );
  const px = await set.read([0]);
  assert.deepEqual(Array.from(px.subarray(0, 3)), [10, 20, 30]);
  assert.deepEqual(Array.from(px.subarray(33 * 3, 33 * 3 + 3)), [200, 20, 30]);
  assert.equal(set.classes?.[3], "cat");
});

test("train split needs all five batches", () => {
  const d = dir();
  writeFileSync(join(d, "data_batch_1.bin"), record(0, 0, 0, 0));
  assert.throws(() => readCifar10(d, "train"), /missing .*data_batch_2\.bin/);
});

test("truncated batch: strict throws, lenient keeps whole records", () => {
  const d = dir();
  const f = join(d, "b.bin");
  writeFileSync(f, Buffer.concat([record(1, 0, 0, 0), record(2, 0, 0, 0)]).subarray(0, 3073 + 100));
  assert.throws(() => readCifar10Files([f]), /not a multiple of the 3073-byte record/);
  const set = readCifar10Files([f], { strict: false });
  assert.equal(set.count, 1);
  assert.equal(set.skipped.length, 1);
});

test("a label byte over 9 is reported (wrong format) and skipped when lenient", () => {
  const d = dir();
  const f = join(d, "b.bin");
  writeFileSync(f, Buffer.concat([record(57, 0, 0, 0), record(2, 0, 0, 0)]));
  assert.throws(() => readCifar10Files([f]), /label byte 57 is outside 0–9/);
  const set = readCifar10Files([f], { strict: false });
  assert.deepEqual(
    set.items.map((i) => i.label),
    [2],
  );
  assert.match(set.skipped[0]?.source ?? "", /#0$/);
});

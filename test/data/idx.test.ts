import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { FASHION_MNIST_DIR, readFashionMnist, readIdx } from "../../src/data/idx.js";
import { DataError } from "../../src/data/options.js";

/** Writes an IDX file by the spec: 00 00 08 nd, big-endian dims, bytes. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([head, Buffer.from(data)]);
}

function fixture(opts: { n?: number; truncate?: number; badLabel?: boolean; magic?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "facelab-idx-"));
  const n = opts.n ?? 5;
  const px = new Uint8Array(n * 4 * 3).map((_, i) => (i * 7) % 256);
  const lb = new Uint8Array(n).map((_, i) => i % 10);
  if (opts.badLabel) lb[2] = 42;
  let img = idx([n, 4, 3], px);
  if (opts.magic !== undefined) img[3] = opts.magic;
  if (opts.truncate) img = img.subarray(0, img.length - opts.truncate);
  writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(img));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(idx([n], lb)));
  return { dir, px, lb };
}

test("reads gzip IDX images and labels in the true format", async () => {
  const { dir, px, lb } = fixture();
  const set = readFashionMnist("test", { dir });
  assert.equal(set.count, 5);
  assert.deepEqual([set.height, set.width, set.channels], [4, 3, 1]);
  assert.deepEqual(
    set.items.map((i) => i.label),
    Array.from(lb),
  );
  assert.deepEqual(await set.read([1]), px.subarray(12, 24));
  assert.equal(set.classes?.[9], "Ankle boot");
});

test("uncompressed IDX also reads", () => {
  const dir = mkdtempSync(join(tmpdir(), "facelab-idx-"));
  writeFileSync(join(dir, "x.idx"), idx([2, 2], new Uint8Array([1, 2, 3, 4])));
  assert.deepEqual(readIdx(join(dir, "x.idx")), { dims: [2, 2], data: new Uint8Array([1, 2, 3, 4]) });
});

test("wrong magic (dimension count) is a clear error", () => {
  const { dir } = fixture({ magic: 2 });
  assert.throws(() => readFashionMnist("test", { dir }), /has 2 dimensions, expected 3/);
});

test("a non-IDX file is rejected by its magic", () => {
  const dir = mkdtempSync(join(tmpdir(), "facelab-idx-"));
  writeFileSync(join(dir, "x"), Buffer.from("PK\x03\x04 zip file"));
  assert.throws(
    () => readIdx(join(dir, "x")),
    (e: Error) => e instanceof DataError && /not an IDX file/.test(e.message),
  );
});

test("truncated images: strict throws, lenient keeps whole records and counts the skip", () => {
  const { dir } = fixture({ truncate: 20 });
  assert.throws(() => readFashionMnist("test", { dir }), /truncated: header promises 5 records/);
  const set = readFashionMnist("test", { dir, strict: false });
  assert.equal(set.count, 3); // 60-20=40 bytes → 3 whole 12-byte records
  assert.equal(set.skipped.length, 1);
  assert.match(set.skipped[0]?.reason ?? "", /kept 3 of 5/);
});

test("truncated gzip stream is a clear error", () => {
  const dir = mkdtempSync(join(tmpdir(), "facelab-idx-"));
  const gz = gzipSync(idx([3, 2], new Uint8Array(6)));
  writeFileSync(join(dir, "x.gz"), gz.subarray(0, gz.length - 10));
  assert.throws(() => readIdx(join(dir, "x.gz")), /gzip data is corrupt or truncated/);
});

test("out-of-range labels: strict throws, lenient skips that record only", () => {
  const { dir } = fixture({ badLabel: true });
  assert.throws(() => readFashionMnist("test", { dir }), /label 42 is outside 0–9/);
  const set = readFashionMnist("test", { dir, strict: false });
  assert.equal(set.count, 4);
  assert.deepEqual(
    set.items.map((i) => i.label),
    [0, 1, 3, 4],
  );
});

test("missing files name the Debian package", () => {
  assert.throws(() => readFashionMnist("test", { dir: "/nonexistent" }), /dataset-fashion-mnist/);
});

test("Debian's Fashion-MNIST test split", { skip: !existsSync(FASHION_MNIST_DIR) && "not installed" }, () => {
  const set = readFashionMnist("test");
  assert.equal(set.count, 10000);
  assert.deepEqual([set.height, set.width], [28, 28]);
  const counts = new Array(10).fill(0);
  for (const it of set.items) counts[it.label as number]++;
  assert.deepEqual(counts, new Array(10).fill(1000)); // 1,000 test images per class
});

test("gzip with a long file-name field in its header still reads (header fields are skipped, not inflated)", () => {
  const dir = mkdtempSync(join(tmpdir(), "facelab-idx-"));
  const gz = gzipSync(idx([3], new Uint8Array([1, 2, 3])));
  const head = Buffer.from(gz.subarray(0, 10));
  head[3] = (head[3] as number) | 8; // FNAME: a zero-terminated name follows the 10-byte header
  writeFileSync(
    join(dir, "x.gz"),
    Buffer.concat([head, Buffer.alloc(10_000, 0x41), Buffer.from([0]), gz.subarray(10)]),
  );
  assert.deepEqual(readIdx(join(dir, "x.gz")), { dims: [3], data: new Uint8Array([1, 2, 3]) });
});

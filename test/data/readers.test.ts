// UTKFace, CelebA, FFHQ and image-folder readers on small files written here in the true formats
// (JPEG/PNG through sharp, CelebA's text files), plus the image cache and the union pool.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import { buildCache, cacheKey } from "../../src/data/cache.js";
import { listCeleba, readCeleba } from "../../src/data/celeba.js";
import { readFfhq, readImageFolder } from "../../src/data/folder.js";
import { UnionImageSet } from "../../src/data/imageset.js";
import { listUtkFace, parseUtkName, readUtkFace } from "../../src/data/utkface.js";

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `facelab-${p}-`));

async function solid(path: string, rgb: [number, number, number], w = 40, h = 48, format: "jpeg" | "png" = "jpeg") {
  const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  writeFileSync(path, await (format === "jpeg" ? img.jpeg({ quality: 95 }) : img.png()).toBuffer());
}

test("UTKFace names: valid forms parse, the real dataset's malformed names are rejected", () => {
  assert.deepEqual(parseUtkName("26_1_2_20170116174525125.jpg.chip.jpg"), {
    age: 26,
    gender: 1,
    race: 2,
    date: "20170116174525125",
  });
  assert.equal("error" in parseUtkName("1_0_0_20161219140623097.jpg"), false);
  // The files named in reference/face-losses-and-bias.md §4.2:
  assert.match((parseUtkName("39_1_20170116174525125.jpg.chip.jpg") as { error: string }).error, /found 3/);
  assert.match((parseUtkName("24_0_1_20170116220224657 .jpg.chip.jpg") as { error: string }).error, /date/);
  assert.ok("error" in parseUtkName("55_0_0_20170116232725357jpg.chip.jpg"));
  assert.match((parseUtkName("117_0_0_20170116232725357.jpg") as { error: string }).error, /age/);
  assert.match((parseUtkName("30_2_0_20170116232725357.jpg") as { error: string }).error, /gender/);
  assert.match((parseUtkName("30_0_5_20170116232725357.jpg") as { error: string }).error, /race/);
});

async function utkFolder() {
  const dir = tmp("utk");
  await solid(join(dir, "26_1_2_20170116174525125.jpg.chip.jpg"), [200, 30, 30]);
  await solid(join(dir, "40_0_0_20170116174525126.jpg.chip.jpg"), [30, 200, 30]);
  await solid(join(dir, "39_1_20170116174525125.jpg.chip.jpg"), [0, 0, 0]); // race missing
  const good = readFileSync(join(dir, "40_0_0_20170116174525126.jpg.chip.jpg"));
  writeFileSync(join(dir, "50_1_3_20170116174525127.jpg.chip.jpg"), good.subarray(0, good.length / 2)); // corrupt
  return dir;
}

test("UTKFace: lenient (default) counts bad names and corrupt JPEGs as skips; strict throws naming the file", async () => {
  const dir = await utkFolder();
  const cacheDir = tmp("cache");
  const set = await readUtkFace(dir, { side: 16, cacheDir, labelBy: "race" });
  assert.equal(set.count, 2);
  assert.equal(set.skipped.length, 2);
  assert.ok(set.skipped.some((s) => /39_1_/.test(s.source) && /found 3/.test(s.reason)));
  assert.ok(set.skipped.some((s) => /50_1_3/.test(s.source) && /cannot decode/.test(s.reason)));
  assert.deepEqual(
    set.items.map((i) => [i.attrs?.age, i.attrs?.gender, i.attrs?.race, i.label]),
    [
      [26, 1, 2, 2],
      [40, 0, 0, 0],
    ],
  );
  assert.deepEqual(set.classes, ["White", "Black", "Asian", "Indian", "Others"]);
  const px = await set.read([0, 1]);
  assert.equal(px.length, 2 * 16 * 16 * 3);
  // JPEG is lossy: the red face stays near (200,30,30), the green one near (30,200,30).
  assert.ok(Math.abs((px[0] as number) - 200) < 12 && Math.abs((px[1] as number) - 30) < 12, `${px.subarray(0, 3)}`);
  assert.ok(Math.abs((px[768 + 1] as number) - 200) < 12);
  assert.throws(
    () => listUtkFace(dir, { strict: true }),
    /utkface: .*39_1_20170116174525125\.jpg\.chip\.jpg: expected 4 fields/,
  );
});

test("cache: reused when nothing changed, rebuilt when an input or a setting changes", async () => {
  const dir = await utkFolder();
  const cacheDir = tmp("cache");
  const a = await readUtkFace(dir, { side: 8, cacheDir });
  const b = await readUtkFace(dir, { side: 8, cacheDir });
  assert.equal(a.dir, b.dir);
  assert.equal(a.index.createdAt, b.index.createdAt);
  assert.equal(readdirSync(cacheDir).length, 1);
  const c = await readUtkFace(dir, { side: 12, cacheDir });
  assert.notEqual(c.dir, a.dir);
  await solid(join(dir, "1_0_1_20170116174525199.jpg.chip.jpg"), [9, 9, 9]);
  const d = await readUtkFace(dir, { side: 8, cacheDir });
  assert.notEqual(d.dir, a.dir);
  assert.equal(d.count, 3);
  // Reading on demand (not in memory) gives the same bytes as the in-memory path.
  const lazy = await readUtkFace(dir, { side: 8, cacheDir, inMemory: false, shardSize: 2 });
  assert.deepEqual(await lazy.read([2, 0, 1]), await d.read([2, 0, 1]));
});

test("cache key covers settings and entries", () => {
  const e = [{ path: "/nope/a.jpg", meta: { dataset: "x", source: "a" } }];
  assert.equal(cacheKey(e, { name: "x", side: 8 }), cacheKey(e, { name: "x", side: 8 }));
  assert.notEqual(cacheKey(e, { name: "x", side: 8 }), cacheKey(e, { name: "x", side: 8, crop: "box" }));
  assert.notEqual(
    cacheKey(e, { name: "x", side: 8 }),
    cacheKey([{ ...e[0]!, meta: { dataset: "x", source: "a", label: 1 } }], { name: "x", side: 8 }),
  );
});

test("face-box crop takes the box region", async () => {
  const dir = tmp("box");
  // left half red, right half blue, 40×20
  const raw = Buffer.alloc(40 * 20 * 3);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
  await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
    .png()
    .toFile(join(dir, "a.png"));
  const entries = [
    { path: join(dir, "a.png"), meta: { dataset: "t", source: "a" }, box: { left: 22, top: 0, width: 16, height: 16 } },
  ];
  const boxed = await buildCache(entries, { name: "t", side: 4, crop: "box", cacheDir: tmp("cache") });
  const px = await boxed.read([0]);
  assert.deepEqual(Array.from(px.subarray(0, 3)), [0, 0, 255]);
});

async function celebaFolder() {
  const dir = tmp("celeba");
  mkdirSync(join(dir, "img_align_celeba"));
  mkdirSync(join(dir, "Anno"));
  const files = ["000001.jpg", "000002.jpg", "000003.jpg", "000004.jpg", "000005.jpg"];
  for (const [i, f] of files.entries()) await solid(join(dir, "img_align_celeba", f), [i * 40, 100, 100], 178, 218);
  // 000005.jpg is on disk but missing from identity; 000006.jpg is listed but missing on disk.
  writeFileSync(
    join(dir, "Anno", "identity_CelebA.txt"),
    "000001.jpg 7\n000002.jpg 7\n000003.jpg 9\n000004.jpg 9\n000006.jpg 11\n",
  );
  writeFileSync(
    join(dir, "list_eval_partition.txt"),
    "000001.jpg 0\n000002.jpg 0\n000003.jpg 2\n000004.jpg 1\n000006.jpg 0\n",
  );
  writeFileSync(
    join(dir, "Anno", "list_attr_celeba.txt"),
    "4\nMale Young\n000001.jpg 1 -1\n000002.jpg  1  1\n000003.jpg -1 1\n000006.jpg 1 1\n",
  ); // 000004.jpg has no attributes
  return dir;
}

test("CelebA: identities, partitions and attributes; missing entries are reported per strict/lenient", async () => {
  const dir = await celebaFolder();
  assert.throws(() => listCeleba(dir), /celeba: .*000005\.jpg: image has no entry in identity_CelebA\.txt/);
  const { entries, skipped } = listCeleba(dir, { strict: false });
  assert.deepEqual(
    entries.map((e) => [
      e.path.slice(-10),
      e.meta.identity,
      e.meta.attrs?.partition,
      e.meta.attrs?.Male,
      e.meta.attrs?.Young,
    ]),
    [
      ["000001.jpg", 7, 0, 1, 0],
      ["000002.jpg", 7, 0, 1, 1],
      ["000003.jpg", 9, 2, 0, 1],
    ],
  );
  assert.deepEqual(skipped.map((s) => s.reason).sort(), [
    "image has no entry in identity_CelebA.txt",
    "listed in identity_CelebA.txt but the image is missing",
    "no entry in list_attr_celeba.txt",
  ]);
  const one = listCeleba(dir, { strict: false, onePerIdentity: true, seed: 3 });
  assert.deepEqual(
    one.entries.map((e) => e.meta.identity),
    [7, 9],
  );
  const set = await readCeleba(dir, { strict: false, side: 8, cacheDir: tmp("cache") });
  assert.equal(set.count, 3);
  assert.equal(set.skipped.length, 3);
});

test("image folder: one class per sub-folder; FFHQ: unlabeled PNGs in nested folders; union keeps provenance", async () => {
  const dir = tmp("folder");
  for (const c of ["cats", "dogs"]) {
    mkdirSync(join(dir, c));
    await solid(join(dir, c, "a.png"), [c === "cats" ? 255 : 0, 0, 0], 10, 10, "png");
  }
  await solid(join(dir, "dogs", "b.png"), [0, 0, 0], 10, 10, "png");
  const cacheDir = tmp("cache");
  const set = await readImageFolder(dir, { side: 4, cacheDir });
  assert.deepEqual(set.classes, ["cats", "dogs"]);
  assert.deepEqual(
    set.items.map((i) => i.label),
    [0, 1, 1],
  );
  assert.equal((await set.read([0]))[0], 255); // PNG is lossless

  const ff = tmp("ffhq");
  mkdirSync(join(ff, "00000"));
  for (const n of ["00000.png", "00001.png"]) await solid(join(ff, "00000", n), [1, 2, 3], 12, 12, "png");
  const ffhq = await readFfhq(ff, { side: 4, cacheDir });
  assert.equal(ffhq.count, 2);
  assert.equal(ffhq.items[0]?.label, undefined);

  const pool = new UnionImageSet("pool", [set, ffhq]);
  assert.equal(pool.count, 5);
  assert.deepEqual(
    pool.items.map((i) => i.dataset),
    ["folder", "folder", "folder", "ffhq", "ffhq"],
  );
  assert.ok(pool.items.every((i) => i.label === undefined));
  const px = await pool.read([3, 0]);
  assert.deepEqual(Array.from(px.subarray(0, 3)), [1, 2, 3]);
  assert.equal(px[48], 255);
  const small = await readFfhq(ff, { side: 8, cacheDir });
  assert.throws(() => new UnionImageSet("bad", [set, small]), /prepare both at the same side/);
});

test("CelebA lenient: an image with several bad lines is one counted skip; strict names file and line", async () => {
  const dir = await celebaFolder();
  // 000002.jpg: partition out of range AND an attribute row with a bad value AND a conflicting duplicate id.
  writeFileSync(
    join(dir, "list_eval_partition.txt"),
    "000001.jpg 0\n000002.jpg 5\n000003.jpg 2\n000004.jpg 1\n000006.jpg 0\n",
  );
  writeFileSync(
    join(dir, "Anno", "list_attr_celeba.txt"),
    "4\nMale Young\n000001.jpg 1 -1\n000002.jpg 1 0\n000003.jpg -1 1\n000006.jpg 1 1\n",
  );
  writeFileSync(
    join(dir, "Anno", "identity_CelebA.txt"),
    "000001.jpg 7\n000002.jpg 7\n000003.jpg 9\n000004.jpg 9\n000006.jpg 11\n000002.jpg 8\n",
  );
  assert.throws(() => listCeleba(dir), /identity_CelebA\.txt:6: 000002\.jpg listed again with 8; line 2 says 7/);
  const { entries, skipped } = listCeleba(dir, { strict: false });
  assert.deepEqual(
    entries.map((e) => e.path.slice(-10)),
    ["000001.jpg", "000003.jpg"],
  );
  const for2 = skipped.filter((s) => s.source.endsWith("000002.jpg"));
  assert.equal(for2.length, 1, JSON.stringify(skipped));
  assert.match(for2[0]?.reason ?? "", /identity_CelebA\.txt:6/);
  // 000002 (bad lines), 000004 (no attributes), 000005 (not listed), 000006 (missing on disk)
  assert.equal(skipped.length, 4);
});

// Every reader's error names the offending file (#14): one broken input per reader, and the
// message must contain that file's base name (and, for text formats, its line).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { z } from "zod";
import { buildCache, CachedImageSet } from "../../src/data/cache.js";
import { listCeleba, readCeleba } from "../../src/data/celeba.js";
import { readCifar10, readCifar10Files } from "../../src/data/cifar.js";
import { listImageFolder, readFfhq, readImageFolder } from "../../src/data/folder.js";
import { readFashionMnist, readIdx } from "../../src/data/idx.js";
import { listUtkFace, readUtkFace } from "../../src/data/utkface.js";
import { loadConfig } from "../../src/runs/config.js";
import { tensor, tidy } from "../../src/torch/index.js";
import { Linear } from "../../src/torch/nn/index.js";
import { loadFile, readHeader, saveFile } from "../../src/torch/safetensors.js";
import { loadModule } from "../../src/torch/serialization.js";
import { cifar, idx } from "./corpus.js";

const root = mkdtempSync(join(tmpdir(), "facelab-names-"));
after(() => rmSync(root, { recursive: true, force: true }));
let k = 0;
const folder = () => {
  const d = join(root, `d${++k}`);
  mkdirSync(d);
  return d;
};

async function names(what: string, fn: () => unknown, file: string): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (e: Error) => {
      assert.ok(e.message.includes(file), `${what}: "${e.message}" does not name ${file}`);
      return true;
    },
    what,
  );
}

test("every reader names the offending file in its error", async () => {
  const d1 = folder();
  writeFileSync(join(d1, "bad-magic.idx"), "PK\x03\x04");
  await names("readIdx", () => readIdx(join(d1, "bad-magic.idx")), "bad-magic.idx");

  const d2 = folder();
  writeFileSync(join(d2, "t10k-images-idx3-ubyte"), idx([2, 0, 2]));
  writeFileSync(join(d2, "t10k-labels-idx1-ubyte"), idx([2], 2));
  await names("readFashionMnist", () => readFashionMnist("test", { dir: d2 }), "t10k-images-idx3-ubyte");

  const d3 = folder();
  writeFileSync(join(d3, "data_batch_7.bin"), cifar([1, 12]));
  await names("readCifar10Files", () => readCifar10Files([join(d3, "data_batch_7.bin")]), "data_batch_7.bin#1");

  const d4 = folder();
  mkdirSync(join(d4, "test_batch.bin"));
  await names("readCifar10 (EISDIR)", () => readCifar10(d4, "test"), "test_batch.bin");

  const d5 = folder();
  writeFileSync(join(d5, "ok.jpg"), "x");
  symlinkSync("/etc/hostname", join(d5, "escape.jpg"));
  await names("listImageFolder", () => listImageFolder(d5), "escape.jpg");
  await names("readFfhq", () => readFfhq(d5, { side: 8, cacheDir: join(root, "c") }), "escape.jpg");
  const d6 = folder();
  writeFileSync(join(d6, "broken.png"), "not a png");
  await names(
    "readImageFolder (decode)",
    () => readImageFolder(d6, { side: 8, cacheDir: join(root, "c") }),
    "broken.png",
  );

  const d7 = folder();
  writeFileSync(join(d7, "30_0_9_20170116174525125.jpg"), "x");
  await names("listUtkFace", () => listUtkFace(d7, { strict: true }), "30_0_9_20170116174525125.jpg");
  const d8 = folder();
  writeFileSync(join(d8, "30_0_1_20170116174525125.jpg"), "not a jpeg");
  await names(
    "readUtkFace (decode)",
    () => readUtkFace(d8, { side: 8, cacheDir: join(root, "c"), strict: true }),
    "30_0_1_20170116174525125.jpg",
  );

  const d9 = folder();
  mkdirSync(join(d9, "img_align_celeba"));
  writeFileSync(join(d9, "img_align_celeba", "000001.jpg"), "not a jpeg");
  writeFileSync(join(d9, "identity_CelebA.txt"), "000001.jpg 3\n");
  writeFileSync(join(d9, "list_eval_partition.txt"), "000001.jpg 7\n");
  writeFileSync(join(d9, "list_attr_celeba.txt"), "1\nMale\n000001.jpg 1\n");
  await names("listCeleba", () => listCeleba(d9), "list_eval_partition.txt:1");
  writeFileSync(join(d9, "list_eval_partition.txt"), "000001.jpg 0\n");
  await names("readCeleba (decode)", () => readCeleba(d9, { side: 8, cacheDir: join(root, "c") }), "000001.jpg");

  await names(
    "buildCache",
    () =>
      buildCache([{ path: join(root, "nowhere.jpg"), meta: { dataset: "x", source: "x" } }], {
        name: "x",
        side: 8,
        cacheDir: join(root, "c"),
      }),
    "nowhere.jpg",
  );

  const dc = folder();
  writeFileSync(join(dc, "index.json"), "{ truncated");
  await names("CachedImageSet.open", () => CachedImageSet.open(dc), dc);

  const d10 = folder();
  writeFileSync(join(d10, "w.safetensors"), Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xc3, 0x7d]));
  await names("loadFile", () => loadFile(join(d10, "w.safetensors")), "w.safetensors");
  await names("readHeader", () => readHeader(join(d10, "w.safetensors")), "w.safetensors");
  tidy(() => saveFile({ "other.weight": tensor([[1, 2]]) }, join(d10, "m.safetensors")));
  await names(
    "loadModule (key mismatch)",
    () => loadModule(new Linear(2, 1), join(d10, "m.safetensors")),
    "m.safetensors",
  );

  writeFileSync(join(d10, "c.yaml"), "epochs: zero\n");
  await names(
    "loadConfig (value)",
    () => loadConfig(z.object({ epochs: z.number() }), { file: join(d10, "c.yaml") }),
    "c.yaml",
  );
});

// The hostile-input corpus (#14): writes broken and hostile dataset files, checkpoints and configs
// into a folder and returns, for each case, the reader to run and the outcome class expected in
// strict and in lenient mode. Families: IDX, CIFAR-10 batches, image folders, UTKFace names,
// CelebA metadata, safetensors and YAML — with links out of the root, loops, FIFOs, sockets,
// devices (links to /dev/zero and /dev/null), truncation, size lies, empty files, duplicates,
// invalid UTF-8, prototype keys and NaN.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, gzipSync } from "node:zlib";
import sharp from "sharp";
import type { Call, OutcomeClass } from "./worker.js";

export interface Case {
  id: string;
  call: Omit<Call, "id" | "strict">;
  strict: OutcomeClass;
  lenient: OutcomeClass;
  /** text an error message must contain (default: the base name of the case's culprit file) */
  names?: string;
}

/** An IDX file by the spec: 00 00 <type> <nd>, big-endian uint32 dims, then the bytes. */
export function idx(dims: number[], data: Uint8Array | number = 0, type = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  const body = typeof data === "number" ? Buffer.alloc(data, 7) : Buffer.from(data);
  return Buffer.concat([head, body]);
}

/** CIFAR-10 records: label byte then 3072 pixel bytes. */
export const cifar = (labels: number[]): Buffer =>
  Buffer.concat(labels.map((l) => Buffer.concat([Buffer.from([l]), Buffer.alloc(3072, l * 20)])));

/** A safetensors file from a header object (or raw header text) and a data section. */
export function safetensors(header: unknown, data: Uint8Array | number = 0, raw?: Buffer): Buffer {
  const json = raw ?? Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, typeof data === "number" ? Buffer.alloc(data) : Buffer.from(data)]);
}

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

/** A PNG whose header declares 100000×100000 pixels (a decompression bomb by its header). */
function pngBomb(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100000, 0);
  ihdr.writeUInt32BE(100000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    sig,
    chunk("IHDR", ihdr),
    chunk("IDAT", gzipSync(Buffer.alloc(64)).subarray(10)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const fifo = (p: string) => execFileSync("mkfifo", [p]);
/** A unix socket file (left behind by a bound socket that is never closed by unlink). */
const socket = (p: string) =>
  execFileSync("/usr/bin/python3", [
    "-c",
    "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])",
    p,
  ]);

export async function writeCorpus(root: string): Promise<Case[]> {
  const cases: Case[] = [];
  const outside = join(root, "outside");
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, "secret.jpg"), "not yours");
  writeFileSync(join(outside, "secret.bin"), cifar([1]));
  mkdirSync(join(outside, "folder"));
  const jpeg = await sharp({ create: { width: 12, height: 10, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .jpeg()
    .toBuffer();
  const png = await sharp({ create: { width: 9, height: 9, channels: 3, background: { r: 10, g: 200, b: 10 } } })
    .png()
    .toBuffer();
  let n = 0;
  const dir = (family: string) => {
    const d = join(root, `${family}-${String(++n).padStart(3, "0")}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const add = (c: Case) => cases.push(c);

  // ---- IDX (single files through readIdx, plain and gzip) ----
  const idxCase = (
    id: string,
    bytes: Buffer | ((d: string, p: string) => void),
    strict: OutcomeClass,
    lenient: OutcomeClass,
    dims = 3,
    gz = false,
  ) => {
    for (const zip of gz ? [false, true] : [false]) {
      const d = dir("idx");
      const p = join(d, `${id}${zip ? ".gz" : ""}`);
      if (typeof bytes === "function") bytes(d, p);
      else writeFileSync(p, zip ? gzipSync(bytes) : bytes);
      add({ id: `idx/${id}${zip ? " (gzip)" : ""}`, call: { reader: "idx", path: p, dims }, strict, lenient });
    }
  };
  idxCase("good", idx([3, 2, 2], 12), "ok", "ok", 3, true);
  idxCase("zero-items", idx([0, 2, 2]), "error", "error", 3, true);
  idxCase("zero-side", idx([3, 0, 2]), "error", "error", 3, true);
  idxCase("zero-by-zero", idx([3, 0, 0]), "error", "error", 3, true);
  idxCase("truncated", idx([3, 2, 2], 9), "error", "skipped", 3, true);
  idxCase("trailing-bytes", idx([3, 2, 2], 15), "error", "warning", 3, true);
  idxCase("size-lie-huge", idx([0xffffffff, 28, 28], 10), "error", "error", 3, true);
  idxCase("size-lie-no-whole-record", idx([1000000, 28, 28], 100), "error", "error", 3, true);
  idxCase("empty-file", Buffer.alloc(0), "error", "error");
  idxCase("three-bytes", Buffer.from([0, 0, 8]), "error", "error");
  idxCase("header-truncated", idx([3, 2, 2]).subarray(0, 10), "error", "error", 3, true);
  idxCase("zip-magic", Buffer.from("PK\x03\x04 not idx"), "error", "error");
  idxCase("float-type", idx([3, 2, 2], 48, 0x0d), "error", "error", 3, true);
  idxCase("wrong-ndims", idx([12], 12), "error", "error", 3, true);
  idxCase("zero-ndims", Buffer.from([0, 0, 8, 0]), "error", "error", undefined);
  idxCase("labels-good", idx([4], new Uint8Array([1, 2, 3, 4])), "ok", "ok", 1, true);
  idxCase("corrupt-gzip", gzipSync(idx([3, 2, 2], 12)).subarray(0, 25), "error", "error");
  idxCase("gzip-bomb-trailing", gzipSync(Buffer.concat([idx([2, 2, 2], 8), Buffer.alloc(8 << 20)])), "error", "error");
  idxCase("fifo", (_d, p) => fifo(p), "error", "error");
  idxCase("link-dev-zero", (_d, p) => symlinkSync("/dev/zero", p), "error", "error");
  idxCase("link-outside", (_d, p) => symlinkSync(join(outside, "secret.bin"), p), "error", "error");
  idxCase("folder", (_d, p) => mkdirSync(p), "error", "error");
  idxCase("dangling-link", (d, p) => symlinkSync(join(d, "nothing-here"), p), "error", "error");
  idxCase(
    "link-inside",
    (d, p) => {
      writeFileSync(join(d, "real"), idx([3, 2, 2], 12));
      symlinkSync(join(d, "real"), p);
    },
    "ok",
    "ok",
  );

  // ---- Fashion-MNIST folders (images + labels) ----
  const fm = (
    id: string,
    images: Buffer | null,
    labels: Buffer | null,
    strict: OutcomeClass,
    lenient: OutcomeClass,
    names?: string,
  ) => {
    const d = dir("fmnist");
    if (images) writeFileSync(join(d, "t10k-images-idx3-ubyte"), images);
    if (labels) writeFileSync(join(d, "t10k-labels-idx1-ubyte.gz"), gzipSync(labels));
    add({ id: `fashion-mnist/${id}`, call: { reader: "fmnist", path: d }, strict, lenient, names: names ?? "t10k-" });
  };
  fm("plain images + gzip labels", idx([3, 2, 2], 12), idx([3], new Uint8Array([0, 1, 9])), "ok", "ok");
  fm("more labels than images", idx([2, 2, 2], 8), idx([3], new Uint8Array([0, 1, 2])), "error", "skipped");
  fm("label 10", idx([3, 2, 2], 12), idx([3], new Uint8Array([0, 10, 2])), "error", "skipped");
  fm("truncated images", idx([3, 2, 2], 10), idx([3], new Uint8Array([0, 1, 2])), "error", "skipped");
  fm("labels missing", idx([3, 2, 2], 12), null, "error", "error", "dataset-fashion-mnist");
  {
    const d = dir("fmnist");
    writeFileSync(join(d, "t10k-images-idx3-ubyte"), idx([3, 2, 2], 12));
    fifo(join(d, "t10k-labels-idx1-ubyte"));
    add({
      id: "fashion-mnist/labels are a FIFO",
      call: { reader: "fmnist", path: d },
      strict: "error",
      lenient: "error",
      names: "t10k-labels",
    });
  }

  // ---- CIFAR-10 batch files ----
  const cf = (id: string, make: Buffer | ((p: string) => void), strict: OutcomeClass, lenient: OutcomeClass) => {
    const d = dir("cifar");
    const p = join(d, "data_batch_1.bin");
    if (typeof make === "function") make(p);
    else writeFileSync(p, make);
    add({ id: `cifar/${id}`, call: { reader: "cifar-files", path: p }, strict, lenient, names: "data_batch_1.bin" });
  };
  cf("good", cifar([0, 9, 3]), "ok", "ok");
  cf("empty file", Buffer.alloc(0), "error", "error");
  cf("partial last record", Buffer.concat([cifar([1, 2]), Buffer.alloc(100)]), "error", "skipped");
  cf("only 100 bytes", Buffer.alloc(100), "error", "skipped");
  cf("label 10", cifar([1, 10, 2]), "error", "skipped");
  cf("label 255 (CIFAR-100 coarse?)", cifar([255]), "error", "skipped");
  cf("link to /dev/zero", (p) => symlinkSync("/dev/zero", p), "error", "refused");
  cf("link to /dev/null", (p) => symlinkSync("/dev/null", p), "error", "refused");
  cf("link out of the folder", (p) => symlinkSync(join(outside, "secret.bin"), p), "error", "refused");
  cf("FIFO", (p) => fifo(p), "error", "refused");
  cf("socket", (p) => socket(p), "error", "refused");
  cf("a folder (EISDIR)", (p) => mkdirSync(p), "error", "skipped");
  cf("dangling link", (p) => symlinkSync(`${p}.gone`, p), "error", "skipped");
  cf(
    "sparse 400 MB (size over the limit, never allocated)",
    (p) => {
      writeFileSync(p, "");
      truncateSync(p, 400 * 2 ** 20);
    },
    "error",
    "error",
  );
  cf("self link (loop)", (p) => symlinkSync(p, p), "error", "refused");
  {
    const d = dir("cifar");
    writeFileSync(join(d, "real.bin"), cifar([4]));
    symlinkSync(join(d, "real.bin"), join(d, "test_batch.bin"));
    add({
      id: "cifar/test batch is a link inside the folder",
      call: { reader: "cifar", path: d },
      strict: "ok",
      lenient: "ok",
    });
    const e = dir("cifar");
    add({
      id: "cifar/test batch missing",
      call: { reader: "cifar", path: e },
      strict: "error",
      lenient: "error",
      names: "test_batch.bin",
    });
  }

  // ---- image folders (decoded through the cache) ----
  const folder = (
    id: string,
    build: (d: string) => void,
    strict: OutcomeClass,
    lenient: OutcomeClass,
    names?: string,
    reader: "folder" | "ffhq" = "folder",
  ) => {
    const d = dir("folder");
    const data = join(d, "data");
    mkdirSync(data);
    build(data);
    add({ id: `${reader}/${id}`, call: { reader, path: data, cacheDir: join(d, "cache") }, strict, lenient, names });
  };
  const good = (d: string) => {
    writeFileSync(join(d, "a.jpg"), jpeg);
    writeFileSync(join(d, "b.png"), png);
  };
  folder("good", good, "ok", "ok");
  folder(
    "class sub-folders",
    (d) => {
      for (const c of ["cat", "dog"]) {
        mkdirSync(join(d, c));
        good(join(d, c));
      }
    },
    "ok",
    "ok",
  );
  folder(
    "link to a file outside",
    (d) => {
      good(d);
      symlinkSync(join(outside, "secret.jpg"), join(d, "c.jpg"));
    },
    "error",
    "refused",
    "c.jpg",
  );
  folder(
    "link to a folder outside",
    (d) => {
      good(d);
      symlinkSync(join(outside, "folder"), join(d, "more"));
    },
    "error",
    "refused",
    "more",
  );
  folder(
    "relative link out (../..)",
    (d) => {
      good(d);
      symlinkSync("../../outside/secret.jpg", join(d, "rel.jpg"));
    },
    "error",
    "refused",
    "rel.jpg",
  );
  folder(
    "directory loop (sub/loop -> ..)",
    (d) => {
      mkdirSync(join(d, "sub"));
      good(join(d, "sub"));
      symlinkSync("..", join(d, "sub", "loop"));
    },
    "error",
    "refused",
    "loop",
  );
  folder(
    "link to the root itself",
    (d) => {
      good(d);
      symlinkSync(".", join(d, "again"));
    },
    "error",
    "refused",
    "again",
  );
  folder(
    "self link a.jpg -> a.jpg",
    (d) => {
      good(d);
      symlinkSync("z.jpg", join(d, "z.jpg"));
    },
    "error",
    "refused",
    "z.jpg",
  );
  folder(
    "FIFO named x.jpg",
    (d) => {
      good(d);
      fifo(join(d, "x.jpg"));
    },
    "error",
    "refused",
    "x.jpg",
  );
  folder(
    "FIFO in a sub-folder",
    (d) => {
      good(d);
      mkdirSync(join(d, "s"));
      fifo(join(d, "s", "p.png"));
    },
    "error",
    "refused",
    "p.png",
  );
  folder(
    "socket named s.jpg",
    (d) => {
      good(d);
      socket(join(d, "s.jpg"));
    },
    "error",
    "refused",
    "s.jpg",
  );
  folder(
    "link to /dev/zero named zero.jpg",
    (d) => {
      good(d);
      symlinkSync("/dev/zero", join(d, "zero.jpg"));
    },
    "error",
    "refused",
    "zero.jpg",
  );
  folder(
    "link to /dev/null named null.png",
    (d) => {
      good(d);
      symlinkSync("/dev/null", join(d, "null.png"));
    },
    "error",
    "refused",
    "null.png",
  );
  folder(
    "dot-file",
    (d) => {
      good(d);
      writeFileSync(join(d, ".hidden.jpg"), "garbage");
    },
    "ignored",
    "ignored",
  );
  folder(
    "AppleDouble ._ files",
    (d) => {
      good(d);
      writeFileSync(join(d, "._a.jpg"), "AppleDouble");
      mkdirSync(join(d, ".Trash"));
      writeFileSync(join(d, ".Trash", "c.jpg"), jpeg);
    },
    "ignored",
    "ignored",
  );
  folder(
    "corrupt JPEG",
    (d) => {
      good(d);
      writeFileSync(join(d, "c.jpg"), jpeg.subarray(0, jpeg.length >> 1));
    },
    "error",
    "skipped",
    "c.jpg",
  );
  folder(
    "empty .jpg",
    (d) => {
      good(d);
      writeFileSync(join(d, "e.jpg"), "");
    },
    "error",
    "skipped",
    "e.jpg",
  );
  folder(
    "text named .png",
    (d) => {
      good(d);
      writeFileSync(join(d, "t.png"), "hello");
    },
    "error",
    "skipped",
    "t.png",
  );
  folder(
    "truncated PNG",
    (d) => {
      good(d);
      writeFileSync(join(d, "t.png"), png.subarray(0, 40));
    },
    "error",
    "skipped",
    "t.png",
  );
  folder(
    "PNG bomb (100000² declared)",
    (d) => {
      good(d);
      writeFileSync(join(d, "bomb.png"), pngBomb());
    },
    "error",
    "skipped",
    "bomb.png",
  );
  folder(
    "dangling link",
    (d) => {
      good(d);
      symlinkSync(join(d, "gone.jpg"), join(d, "dangling.jpg"));
    },
    "error",
    "skipped",
    "dangling.jpg",
  );
  folder("empty folder", () => {}, "error", "error", "no images");
  folder(
    "only refused entries",
    (d) => {
      symlinkSync(join(outside, "secret.jpg"), join(d, "c.jpg"));
    },
    "error",
    "error",
    "c.jpg",
  );
  folder(
    "link to a file inside",
    (d) => {
      good(d);
      symlinkSync(join(d, "a.jpg"), join(d, "c.jpg"));
    },
    "ok",
    "ok",
  );
  folder(
    "link to a sibling folder inside (listed once)",
    (d) => {
      mkdirSync(join(d, "a"));
      good(join(d, "a"));
      symlinkSync(join(d, "a"), join(d, "b"));
    },
    "ignored",
    "ignored",
  );
  folder(
    "70 nested folders",
    (d) => {
      good(d);
      const deep = join(d, ...Array.from({ length: 70 }, () => "d"));
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(deep, "deep.jpg"), jpeg);
    },
    "error",
    "refused",
    "d/d/d",
  );
  folder(
    "numbered sub-folders",
    (d) => {
      for (const s of ["00000", "01000"]) {
        mkdirSync(join(d, s));
        good(join(d, s));
      }
    },
    "ok",
    "ok",
    undefined,
    "ffhq",
  );
  folder(
    "FIFO among thumbnails",
    (d) => {
      good(d);
      fifo(join(d, "69999.png"));
    },
    "error",
    "refused",
    "69999.png",
    "ffhq",
  );

  // ---- UTKFace names (listing only: labels live in the names) ----
  const utk = (
    id: string,
    names: string[],
    strict: OutcomeClass,
    lenient: OutcomeClass,
    build?: (d: string) => void,
    culprit?: string,
  ) => {
    const d = dir("utk");
    for (const nm of names) writeFileSync(join(d, nm), jpeg);
    build?.(d);
    add({
      id: `utkface/${id}`,
      call: { reader: "utkface", path: d },
      strict,
      lenient,
      names: culprit ?? (build ? undefined : names.at(-1)),
    });
  };
  const ok1 = "26_1_2_20170116174525125.jpg.chip.jpg";
  utk("good", [ok1, "1_0_0_20161219140623097.jpg"], "ok", "ok");
  utk("race missing", [ok1, "39_1_20170116174525125.jpg.chip.jpg"], "error", "skipped");
  utk("age 117", [ok1, "117_0_0_20170116174525125.jpg"], "error", "skipped");
  utk("gender 2", [ok1, "30_2_0_20170116174525125.jpg"], "error", "skipped");
  utk("race 5", [ok1, "30_0_5_20170116174525125.jpg"], "error", "skipped");
  utk("space before .jpg", [ok1, "24_0_1_20170116220224657 .jpg.chip.jpg"], "error", "skipped");
  utk("missing dot", [ok1, "55_0_0_20170116232725357jpg.chip.jpg"], "error", "skipped");
  utk("letters for age", [ok1, "ab_0_0_20170116174525125.jpg"], "error", "skipped");
  utk("negative age", [ok1, "-1_0_0_20170116174525125.jpg"], "error", "skipped");
  utk("five fields", [ok1, "30_0_0_1_20170116174525125.jpg"], "error", "skipped");
  utk("short date", [ok1, "30_0_0_2017.jpg"], "error", "skipped");
  utk("Arabic-Indic digits", [ok1, "٣٠_0_0_20170116174525125.jpg"], "error", "skipped");
  utk("250-character name", [ok1, `${"9".repeat(240)}_0_0_1.jpg`], "error", "skipped");
  utk(
    "link out",
    [ok1],
    "error",
    "refused",
    (d) => symlinkSync(join(outside, "secret.jpg"), join(d, "1_0_0_20170116174525125.jpg")),
    "1_0_0_20170116174525125.jpg",
  );
  utk("loop", [ok1], "error", "refused", (d) => symlinkSync(".", join(d, "loop")), "loop");
  utk(
    "FIFO with a valid name",
    [ok1],
    "error",
    "refused",
    (d) => fifo(join(d, "2_0_0_20170116174525125.jpg")),
    "2_0_0_20170116174525125.jpg",
  );
  utk("AppleDouble twin", [ok1], "ignored", "ignored", (d) => writeFileSync(join(d, `._${ok1}`), "x"));
  utk("empty folder", [], "error", "error", undefined, "no usable images");
  utk("nested folders", [], "ok", "ok", (d) => {
    mkdirSync(join(d, "part1"));
    writeFileSync(join(d, "part1", ok1), jpeg);
  });

  // ---- CelebA metadata (listing) ----
  const celeba = (
    id: string,
    files: { identity?: string; partition?: string; attr?: string },
    strict: OutcomeClass,
    lenient: OutcomeClass,
    names?: string,
    build?: (d: string) => void,
  ) => {
    const d = dir("celeba");
    const img = join(d, "img_align_celeba");
    mkdirSync(img);
    for (const f of ["000001.jpg", "000002.jpg", "000003.jpg"]) writeFileSync(join(img, f), jpeg);
    const w = (name: string, text: string | undefined, dflt: string) => writeFileSync(join(d, name), text ?? dflt);
    w("identity_CelebA.txt", files.identity, "000001.jpg 7\n000002.jpg 7\n000003.jpg 9\n");
    w("list_eval_partition.txt", files.partition, "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n");
    w("list_attr_celeba.txt", files.attr, "3\nMale Young\n000001.jpg 1 -1\n000002.jpg -1 1\n000003.jpg 1 1\n");
    build?.(d);
    add({ id: `celeba/${id}`, call: { reader: "celeba", path: d }, strict, lenient, names });
  };
  celeba("good", {}, "ok", "ok");
  celeba("CRLF line ends", { identity: "000001.jpg 7\r\n000002.jpg 7\r\n000003.jpg 9\r\n" }, "ok", "ok");
  celeba(
    "duplicate with the same identity",
    { identity: "000001.jpg 7\n000001.jpg 7\n000002.jpg 7\n000003.jpg 9\n" },
    "ok",
    "ok",
  );
  celeba(
    "duplicate with a conflicting identity",
    { identity: "000001.jpg 7\n000002.jpg 7\n000003.jpg 9\n000001.jpg 8\n" },
    "error",
    "skipped",
    "identity_CelebA.txt:4",
  );
  celeba(
    "duplicate with a conflicting partition",
    { partition: "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n000002.jpg 0\n" },
    "error",
    "skipped",
    "list_eval_partition.txt:4",
  );
  celeba(
    "duplicate attributes that disagree",
    { attr: "4\nMale Young\n000001.jpg 1 -1\n000002.jpg -1 1\n000003.jpg 1 1\n000003.jpg -1 1\n" },
    "error",
    "skipped",
    "list_attr_celeba.txt:6",
  );
  celeba(
    "partition 3",
    { partition: "000001.jpg 0\n000002.jpg 3\n000003.jpg 2\n" },
    "error",
    "skipped",
    "list_eval_partition.txt:2",
  );
  celeba(
    "partition -1",
    { partition: "000001.jpg -1\n000002.jpg 1\n000003.jpg 2\n" },
    "error",
    "skipped",
    "list_eval_partition.txt:1",
  );
  celeba(
    "count line too high",
    { attr: "5\nMale Young\n000001.jpg 1 -1\n000002.jpg -1 1\n000003.jpg 1 1\n" },
    "error",
    "skipped",
    "list_attr_celeba.txt:1",
  );
  celeba(
    "count line not a number",
    { attr: "many\nMale Young\n000001.jpg 1 -1\n000002.jpg -1 1\n000003.jpg 1 1\n" },
    "error",
    "skipped",
    "list_attr_celeba.txt:1",
  );
  celeba(
    "attribute row one short",
    { attr: "3\nMale Young\n000001.jpg 1\n000002.jpg -1 1\n000003.jpg 1 1\n" },
    "error",
    "skipped",
    "list_attr_celeba.txt:3",
  );
  celeba(
    "attribute value 0",
    { attr: "3\nMale Young\n000001.jpg 1 0\n000002.jpg -1 1\n000003.jpg 1 1\n" },
    "error",
    "skipped",
    "list_attr_celeba.txt:3",
  );
  celeba("no attribute names", { attr: "3\n\n000001.jpg 1 -1\n" }, "error", "error", "list_attr_celeba.txt:2");
  celeba(
    "identity 0",
    { identity: "000001.jpg 0\n000002.jpg 7\n000003.jpg 9\n" },
    "error",
    "skipped",
    "identity_CelebA.txt:1",
  );
  celeba(
    "garbage line",
    { identity: "000001.jpg 7\nhello\n000002.jpg 7\n000003.jpg 9\n" },
    "error",
    "skipped",
    "identity_CelebA.txt:2",
  );
  celeba(
    "identity file not UTF-8",
    { identity: "000001.jpg 7\n\xff\xfe\n" },
    "error",
    "error",
    "identity_CelebA.txt",
    (d) =>
      writeFileSync(
        join(d, "identity_CelebA.txt"),
        Buffer.from([0x30, 0x31, 0x2e, 0x6a, 0x70, 0x67, 0x20, 0x37, 0x0a, 0xff, 0xfe, 0x0a]),
      ),
  );
  celeba("image on disk, not listed", { identity: "000001.jpg 7\n000002.jpg 7\n" }, "error", "skipped", "000003.jpg");
  celeba(
    "listed, image missing",
    { identity: "000001.jpg 7\n000002.jpg 7\n000003.jpg 9\n000004.jpg 9\n" },
    "error",
    "skipped",
    "000004.jpg",
  );
  celeba("empty identity file", { identity: "" }, "error", "error", "000001.jpg");
  celeba("identity file is a FIFO", {}, "error", "error", "identity_CelebA.txt", (d) => {
    execFileSync("rm", [join(d, "identity_CelebA.txt")]);
    fifo(join(d, "identity_CelebA.txt"));
  });
  celeba("identity file links out", {}, "error", "error", "identity_CelebA.txt", (d) => {
    execFileSync("rm", [join(d, "identity_CelebA.txt")]);
    symlinkSync(join(outside, "secret.jpg"), join(d, "identity_CelebA.txt"));
  });
  celeba("Anno/ is a link to a folder outside", {}, "error", "error", "identity_CelebA.txt", (d) => {
    execFileSync("rm", [join(d, "identity_CelebA.txt")]);
    mkdirSync(join(outside, "anno"), { recursive: true });
    writeFileSync(join(outside, "anno", "identity_CelebA.txt"), "000001.jpg 7\n000002.jpg 7\n000003.jpg 9\n");
    symlinkSync(join(outside, "anno"), join(d, "Anno"));
  });
  celeba("image links out", {}, "error", "refused", "000004.jpg", (d) =>
    symlinkSync(join(outside, "secret.jpg"), join(d, "img_align_celeba", "000004.jpg")),
  );
  celeba("image is a FIFO", {}, "error", "refused", "000004.jpg", (d) =>
    fifo(join(d, "img_align_celeba", "000004.jpg")),
  );
  celeba("no img_align_celeba", {}, "error", "error", "img_align_celeba", (d) =>
    execFileSync("rm", ["-r", join(d, "img_align_celeba")]),
  );

  // ---- safetensors (strict = --strict-finite) ----
  const st = (id: string, bytes: Buffer | ((p: string) => void), strict: OutcomeClass, lenient: OutcomeClass) => {
    const p = join(dir("st"), `${id.replace(/\W+/g, "-")}.safetensors`);
    if (typeof bytes === "function") bytes(p);
    else writeFileSync(p, bytes);
    add({ id: `safetensors/${id}`, call: { reader: "safetensors", path: p }, strict, lenient });
  };
  const F = (a: number, b: number, shape: unknown = [(b - a) / 4], dtype = "F32") => ({
    dtype,
    shape,
    data_offsets: [a, b],
  });
  st("good", safetensors({ w: F(0, 8) }, f32([1, 2])), "ok", "ok");
  st("NaN weight", safetensors({ w: F(0, 8) }, f32([1, Number.NaN])), "error", "warning");
  st("Inf weight", safetensors({ w: F(0, 4), b: F(4, 8) }, f32([Number.POSITIVE_INFINITY, 0])), "error", "warning");
  st("F16 Inf", safetensors({ h: F(0, 2, [1], "F16") }, Buffer.from([0x00, 0x7c])), "error", "warning");
  st("header not UTF-8", safetensors(null, 0, Buffer.from([0x7b, 0xff, 0x7d])), "error", "error");
  st("header length past the end", safetensors({ w: F(0, 8) }, f32([1, 2])).subarray(0, 20), "error", "error");
  st(
    "header length 2^63",
    (p) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64LE(2n ** 63n);
      writeFileSync(p, b);
    },
    "error",
    "error",
  );
  st("empty file", Buffer.alloc(0), "error", "error");
  st("seven bytes", Buffer.alloc(7), "error", "error");
  st("trailing bytes", safetensors({ w: F(0, 8) }, 12), "error", "error");
  st("truncated data", safetensors({ w: F(0, 8) }, 4), "error", "error");
  st("overlapping tensors", safetensors({ a: F(0, 8), b: F(4, 12) }, 12), "error", "error");
  st("gap between tensors", safetensors({ a: F(0, 4), b: F(8, 12) }, 12), "error", "error");
  st("shape disagrees with offsets", safetensors({ a: F(0, 8, [3]) }, 8), "error", "error");
  st("negative shape", safetensors({ a: F(0, 8, [-2]) }, 8), "error", "error");
  st("shape [2^40, 2^40]", safetensors({ a: F(0, 8, [2 ** 40, 2 ** 40]) }, 8), "error", "error");
  st("unknown dtype", safetensors({ a: F(0, 8, [2], "F8_E9") }, 8), "error", "error");
  st("header is a list", safetensors([1, 2]), "error", "error");
  st("metadata not strings", safetensors({ __metadata__: { a: 1 } }), "error", "error");
  st(
    "duplicate key (JSON keeps the last)",
    safetensors(
      null,
      8,
      Buffer.from(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
      ),
    ),
    "error",
    "error",
  );
  st("byte-order mark", safetensors(null, 0, Buffer.from("\ufeff{}")), "error", "error");
  st(
    "sparse 10 GB file, header valid for it (no 10 GB allocation)",
    (p) => {
      const n = 10 * 2 ** 30;
      writeFileSync(p, safetensors({ w: F(0, n, [n / 4]) }));
      truncateSync(p, 8 + Buffer.from(JSON.stringify({ w: F(0, n, [n / 4]) })).length + n);
    },
    "error",
    "error",
  );
  st("FIFO", (p) => fifo(p), "error", "error");
  st("link to /dev/zero", (p) => symlinkSync("/dev/zero", p), "error", "error");
  st("folder", (p) => mkdirSync(p), "error", "error");
  st(
    "__proto__ as a tensor name",
    safetensors(null, 4, Buffer.from('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')),
    "ok",
    "ok",
  );

  // ---- YAML configs ----
  const yml = (
    id: string,
    text: string | Buffer | ((p: string) => void),
    strict: OutcomeClass,
    sets?: string[],
    names?: string,
  ) => {
    const p = join(dir("yaml"), "config.yaml");
    if (typeof text === "function") text(p);
    else writeFileSync(p, text);
    add({
      id: `yaml/${id}`,
      call: { reader: "config", path: p, sets },
      strict,
      lenient: strict,
      names: names ?? "config.yaml",
    });
  };
  yml("good", "epochs: 3\noptim: {lr: 0.5}\n", "ok");
  yml("empty", "", "error");
  yml("comments only", "# nothing\n", "error");
  yml("__proto__ at the top", "epochs: 1\n__proto__: {polluted: 1}\n", "error");
  yml("constructor nested", "epochs: 1\noptim:\n  constructor: {prototype: {x: 1}}\n", "error");
  yml("prototype in a list", "epochs: 1\nwidths: [{prototype: 1}]\n", "error");
  yml("--set __proto__", "epochs: 1\n", "error", ["__proto__.polluted=1"], "__proto__");
  yml("--set value with __proto__", "epochs: 1\n", "error", ["optim={__proto__: {lr: 1}}"], "__proto__");
  yml("not UTF-8", Buffer.from([0x65, 0x70, 0x6f, 0x63, 0x68, 0x73, 0x3a, 0x20, 0xc0, 0x0a]), "error");
  yml("a list at the top", "- 1\n- 2\n", "error");
  yml("a scalar", "42\n", "error");
  yml("unknown key", "epochs: 1\noptim: {lrr: 1}\n", "error");
  yml("wrong type", "epochs: many\n", "error");
  yml("duplicate key", "epochs: 1\nepochs: 2\n", "error");
  yml(
    "alias bomb",
    `a: &a [x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join("\n")}\n`,
    "error",
  );
  yml("tab indentation", "optim:\n\tlr: 1\n", "error");
  yml("a folder", (p) => mkdirSync(p), "error");
  yml("a FIFO", (p) => fifo(p), "error");
  yml("a link to /dev/zero", (p) => symlinkSync("/dev/zero", p), "error");
  return cases;
}

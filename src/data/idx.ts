// IDX files (the MNIST / Fashion-MNIST format), optionally gzip-compressed as Debian's
// dataset-fashion-mnist installs them. Format (yann.lecun.com/exdb/mnist): a big-endian magic
// 0x0000 <type> <ndims>, then ndims big-endian uint32 sizes, then the data row-major.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type ItemMeta, MemoryImageSet } from "./imageset.js";
import { DataError, Problems, type ReadOptions } from "./options.js";

const UBYTE = 0x08;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Reads an unsigned-byte IDX file (gzip detected from its first two bytes). */
export function readIdx(
  path: string,
  expectDims?: number,
  opts: ReadOptions & { onTruncated?: (have: number, want: number) => void } = {},
): IdxArray {
  let buf: Buffer = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataError(`${path}: gzip data is corrupt or truncated (${(e as Error).message})`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0)
    throw new DataError(`${path}: not an IDX file (magic ${hex(buf.subarray(0, 4))}, expected 00 00 08 0N)`);
  if (buf[2] !== UBYTE)
    throw new DataError(`${path}: IDX element type 0x${hex(buf.subarray(2, 3))} is not unsigned byte (0x08)`);
  const nd = buf[3] as number;
  if (expectDims !== undefined && nd !== expectDims)
    throw new DataError(
      `${path}: IDX file has ${nd} dimensions, expected ${expectDims} (magic ${hex(buf.subarray(0, 4))})`,
    );
  if (buf.length < 4 + 4 * nd) throw new DataError(`${path}: IDX header is truncated`);
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const start = 4 + 4 * nd;
  const want = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - start;
  if (have < want) {
    const per = want / (dims[0] || 1);
    const whole = Math.floor(have / per);
    if (opts.strict !== false || !opts.onTruncated)
      throw new DataError(
        `${path}: truncated: header promises ${dims[0]} records (${want} bytes) but only ${have} bytes follow`,
      );
    opts.onTruncated(whole, dims[0] as number);
    dims[0] = whole;
    return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, whole * per) };
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, want) };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Fashion-MNIST's ten classes (zalandoresearch/fashion-mnist README, label order). */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

/** Where Debian's dataset-fashion-mnist package installs the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Reads the Fashion-MNIST train or test split (28×28 grayscale, labels 0–9).
 * `dir` defaults to $FACELAB_FASHION_MNIST or the Debian path.
 */
export function readFashionMnist(
  split: "train" | "test",
  opts: ReadOptions & { dir?: string; limit?: number } = {},
): MemoryImageSet {
  const dir = opts.dir ?? process.env.FACELAB_FASHION_MNIST ?? FASHION_MNIST_DIR;
  const stem = split === "train" ? "train" : "t10k";
  const problems = new Problems("fashion-mnist", opts.strict ?? true);
  const imgPath = join(dir, `${stem}-images-idx3-ubyte.gz`);
  const lblPath = join(dir, `${stem}-labels-idx1-ubyte.gz`);
  for (const p of [imgPath, lblPath])
    if (!existsSync(p))
      throw new DataError(
        `fashion-mnist: ${p} not found; install Debian's dataset-fashion-mnist or pass --dir / set FACELAB_FASHION_MNIST`,
      );
  const onTruncated = (src: string) => (have: number, want: number) =>
    problems.report(src, `truncated: kept ${have} of ${want} records`);
  const imgs = readIdx(imgPath, 3, { strict: problems.strict, onTruncated: onTruncated(imgPath) });
  const lbls = readIdx(lblPath, 1, { strict: problems.strict, onTruncated: onTruncated(lblPath) });
  const [n0, h, w] = imgs.dims as [number, number, number];
  const nl = lbls.dims[0] as number;
  if (n0 !== nl && problems.strict)
    throw new DataError(`fashion-mnist: ${imgPath} holds ${n0} images but ${lblPath} holds ${nl} labels`);
  const n = Math.min(n0, nl, opts.limit ?? Number.POSITIVE_INFINITY);
  const items: ItemMeta[] = [];
  for (let i = 0; i < n; i++) {
    const label = lbls.data[i] as number;
    if (label > 9) {
      problems.report(`${lblPath}#${i}`, `label ${label} is outside 0–9`);
      continue;
    }
    items.push({ dataset: "fashion-mnist", source: `${imgPath}#${i}`, label });
  }
  // Keep pixels of the accepted items only (a lenient skip drops the record, never relabels it).
  const per = h * w;
  const px = new Uint8Array(items.length * per);
  items.forEach((it, k) => {
    const i = Number(it.source.slice(it.source.lastIndexOf("#") + 1));
    px.set(imgs.data.subarray(i * per, (i + 1) * per), k * per);
  });
  return new MemoryImageSet(`fashion-mnist-${split}`, px, h, w, 1, items, problems.skipped, FASHION_MNIST_CLASSES);
}

// IDX files (the MNIST / Fashion-MNIST format), optionally gzip-compressed as Debian's
// dataset-fashion-mnist installs them. Format (yann.lecun.com/exdb/mnist): a big-endian magic
// 0x0000 <type> <ndims>, then ndims big-endian uint32 sizes, then the data row-major.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { constants, gunzipSync, inflateRawSync } from "node:zlib";
import { type ItemMeta, MemoryImageSet } from "./imageset.js";
import { DataError, Problems, type ReadOptions, recordRead } from "./options.js";
import { findFile, readRegular } from "./walk.js";

const UBYTE = 0x08;
/** Largest data section read (bytes): Fashion-MNIST's train images are 47 MB; a Buffer holds < 4 GiB. */
export const MAX_IDX_BYTES = 2 ** 31 - 1;
/** Bytes of decompressed data tolerated after the declared data before the file is refused. */
const MAX_TRAILING = 1 << 20;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
  /** lenient mode only: the record count the header declared when the file holds fewer whole records */
  declared?: number;
}

const gz = (b: Uint8Array) => b[0] === 0x1f && b[1] === 0x8b;

/** Parses magic and dims from the start of (decompressed) IDX bytes; every check names the file. */
function parseIdxHeader(head: Uint8Array, where: string, expectDims?: number): { dims: number[]; start: number } {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0)
    throw new DataError(`${where}: not an IDX file (magic ${hex(head.subarray(0, 4))}, expected 00 00 08 0N)`);
  if (head[2] !== UBYTE)
    throw new DataError(`${where}: IDX element type 0x${hex(head.subarray(2, 3))} is not unsigned byte (0x08)`);
  const nd = head[3] as number;
  if (expectDims !== undefined && nd !== expectDims)
    throw new DataError(
      `${where}: IDX file has ${nd} dimensions, expected ${expectDims} (magic ${hex(head.subarray(0, 4))})`,
    );
  if (nd === 0) throw new DataError(`${where}: IDX file declares 0 dimensions, expected at least 1`);
  const start = 4 + 4 * nd;
  if (head.length < start)
    throw new DataError(
      `${where}: IDX header is truncated: ${nd} dimensions need ${start} bytes, found ${head.length}`,
    );
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i));
  const zero = dims.indexOf(0);
  if (zero >= 0)
    throw new DataError(`${where}: IDX dimension ${zero} is 0 (dims [${dims.join(", ")}]); expected every size ≥ 1`);
  const want = dims.reduce((a, b) => a * b, 1);
  if (want > MAX_IDX_BYTES)
    throw new DataError(
      `${where}: IDX dims [${dims.join(", ")}] declare ${want} bytes, over the ${MAX_IDX_BYTES}-byte limit`,
    );
  return { dims, start };
}

/** The first bytes of a gzip member's data: its header fields skipped, 4 KiB of deflate inflated. */
function inflatePrefix(buf: Buffer, where: string): Buffer {
  const flags = buf[3] ?? 0;
  let pos = 10;
  if (flags & 4) pos += 2 + (buf.length >= pos + 2 ? buf.readUInt16LE(pos) : 0); // FEXTRA
  for (const bit of [8, 16]) if (flags & bit) pos = buf.indexOf(0, pos) + 1 || buf.length; // FNAME, FCOMMENT
  if (flags & 2) pos += 2; // FHCRC
  try {
    return inflateRawSync(buf.subarray(pos, pos + 4096), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: 8 << 20,
    });
  } catch (e) {
    throw new DataError(`${where}: gzip data is corrupt or truncated (${(e as Error).message})`);
  }
}

/** The decompressed bytes of a gzip IDX file, bounded by what its header declares (no gzip bombs). */
function gunzipIdx(buf: Buffer, where: string, expectDims?: number): Buffer {
  const inflate = (input: Uint8Array, maxOutputLength: number) => {
    try {
      return gunzipSync(input, { maxOutputLength });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return undefined;
      throw new DataError(`${where}: gzip data is corrupt or truncated (${(e as Error).message})`);
    }
  };
  // The header first, from 4 KiB of the deflate stream (at most ~4 MB out) after the gzip member
  // header, whose optional name/comment/extra fields may be long (RFC 1952 §2.3).
  const head = inflatePrefix(buf, where);
  const { dims, start } = parseIdxHeader(head, where, expectDims);
  const limit = start + dims.reduce((a, b) => a * b, 1) + MAX_TRAILING;
  const out = inflate(buf, limit);
  if (out === undefined)
    throw new DataError(`${where}: more than ${MAX_TRAILING} bytes follow the data its IDX header declares`);
  return out;
}

/**
 * Reads an unsigned-byte IDX file, plain or gzip (detected from its first two bytes), through the
 * walker (no links out of its folder, no FIFOs or devices). Every size in the header is checked
 * against the file before anything is allocated. Strict: truncation and trailing bytes are errors.
 * Lenient: whole records are kept (`declared` says how many the header promised) and trailing
 * bytes are a warning in `problems`.
 */
export function readIdx(path: string, expectDims?: number, opts: ReadOptions & { problems?: Problems } = {}): IdxArray {
  const problems = opts.problems ?? new Problems("idx", opts.strict ?? true);
  const before = problems.skipped.length;
  const file = findFile(dirname(path), basename(path), problems);
  if (!file) {
    // Lenient mode recorded why (a refused link or device); a single file cannot be skipped past.
    const why = problems.skipped.length > before ? problems.skipped.at(-1)?.reason : "not found";
    throw new DataError(`${problems.dataset}: ${path}: ${why}`);
  }
  const raw = readRegular(file, problems.dataset, MAX_IDX_BYTES + MAX_TRAILING);
  const where = `${problems.dataset}: ${path}`;
  if (raw.length === 0) throw new DataError(`${where}: file is empty (0 bytes), expected an IDX header`);
  const buf = gz(raw) ? gunzipIdx(raw, where, expectDims) : raw;
  const { dims, start } = parseIdxHeader(buf, where, expectDims);
  const want = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - start;
  if (have < want) {
    const per = want / (dims[0] as number);
    const whole = Math.floor(have / per);
    const msg = `truncated: header promises ${dims[0]} records (${want} bytes) but only ${have} bytes follow (the data ends at byte offset ${buf.length}, expected ${start + want})`;
    if (problems.strict || whole === 0) throw new DataError(`${where}: ${msg}`);
    const declared = dims[0] as number;
    dims[0] = whole;
    return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, whole * per), declared };
  }
  if (have > want)
    problems.warnOrThrow(
      path,
      `${have - want} trailing bytes from byte offset ${start + want} (the IDX header declares ${want} data bytes after a ${start}-byte header)`,
    );
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
  // Debian installs gzip files; the original site's files unpack to plain ones (either separator).
  const locate = (kind: "images-idx3" | "labels-idx1") => {
    const names = [`${stem}-${kind}-ubyte.gz`, `${stem}-${kind}-ubyte`, `${stem}-${kind.replace("-", ".")}-ubyte`];
    const found = existsSync(dir) ? names.find((n) => existsSync(join(dir, n))) : undefined;
    if (found === undefined)
      throw new DataError(
        `fashion-mnist: ${join(dir, names[0] as string)} (or ${names.slice(1).join(", ")}) not found; install Debian's ` +
          "dataset-fashion-mnist, give the folder (facelab data stats fashion-mnist <folder>, or data.dir in a " +
          "config) or set FACELAB_FASHION_MNIST",
      );
    return join(dir, found);
  };
  const imgPath = locate("images-idx3");
  const lblPath = locate("labels-idx1");
  const imgs = readIdx(imgPath, 3, { problems });
  const lbls = readIdx(lblPath, 1, { problems });
  const [n0, h, w] = imgs.dims as [number, number, number];
  const nl = lbls.dims[0] as number;
  // In lenient mode a record is usable when both files hold it whole; the rest is one counted skip.
  const declared = Math.max(imgs.declared ?? n0, lbls.declared ?? nl);
  if (n0 !== nl || declared !== Math.min(n0, nl)) {
    const detail = [
      imgs.declared !== undefined
        ? `${imgPath} holds ${n0} of ${imgs.declared} declared images`
        : `${imgPath} holds ${n0} images`,
      lbls.declared !== undefined
        ? `${lblPath} holds ${nl} of ${lbls.declared} declared labels`
        : `${lblPath} holds ${nl} labels`,
    ].join(", ");
    if (problems.strict) throw new DataError(`fashion-mnist: ${detail}; expected equal counts`);
    const kept = Math.min(n0, nl);
    problems.report(
      n0 < nl ? imgPath : lblPath,
      `truncated: kept ${kept} of ${declared} records (${detail})`,
      "invalid",
      declared - kept,
    );
  }
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
  const set = new MemoryImageSet(`fashion-mnist-${split}`, px, h, w, 1, items, problems.skipped, FASHION_MNIST_CLASSES);
  recordRead(set);
  return set;
}

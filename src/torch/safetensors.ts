// Safetensors read/write in TypeScript (the format of huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__": {string: string}}, then the raw little-endian row-major data; offsets are relative
// to the start of the data section and must tile it exactly (no gaps, no overlaps).
// Writes are atomic (temp file in the same folder, fsync, rename), so a failed save leaves any
// previous file intact. Loads validate the whole header before creating any tensor.

import { constants as bufferConstants } from "node:buffer";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { noGrad } from "./autograd.js";
import { type DType, dtypeCode, itemSize } from "./dtype.js";
import { TorchError } from "./errors.js";
import { native } from "./native.js";
import { tidy } from "./scope.js";
import { type Device, Tensor } from "./tensor.js";

const TO_ST: Partial<Record<DType, string>> = {
  float64: "F64",
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};
const FROM_ST = new Map<string, DType>(Object.entries(TO_ST).map(([k, v]) => [v as string, k as DType]));
/** The reference implementation refuses headers above 100 MB (MAX_HEADER_SIZE). */
const MAX_HEADER = 100_000_000;
const METADATA_KEY = "__metadata__";

export type TensorMap = Map<string, Tensor> | Record<string, Tensor>;

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

const fail = (where: string, msg: string): never => {
  throw new TorchError(`safetensors ${where}: ${msg}`, "ValueError");
};

function entriesOf(tensors: TensorMap): [string, Tensor][] {
  return tensors instanceof Map ? [...tensors] : Object.entries(tensors);
}

/**
 * Encodes tensors (and optional string metadata) as one safetensors buffer: header then data.
 * Returns the header bytes and, per tensor, a contiguous CPU Tensor whose bytes follow in order.
 */
function plan(tensors: TensorMap, metadata: Record<string, string> | undefined, where: string) {
  const items = entriesOf(tensors);
  const seen = new Set<string>();
  for (const [name, t] of items) {
    if (typeof name !== "string" || name.length === 0) fail(where, "tensor names must be non-empty strings");
    if (name === METADATA_KEY) fail(where, `'${METADATA_KEY}' is reserved and cannot name a tensor`);
    if (seen.has(name)) fail(where, `duplicate tensor name '${name}'`);
    seen.add(name);
    if (!(t instanceof Tensor)) fail(where, `'${name}' is not a Tensor`);
    if (t.isDisposed) fail(where, `tensor '${name}' has been disposed`);
    if (TO_ST[t.dtype] === undefined)
      fail(where, `tensor '${name}' has dtype ${t.dtype}, which safetensors cannot store`);
  }
  for (const [k, v] of Object.entries(metadata ?? {}))
    if (typeof v !== "string") fail(where, `metadata value for '${k}' must be a string, got ${typeof v}`);
  // Larger elements first keeps every tensor aligned to its element size (headers are padded to 8).
  const order = items
    .map(([name, t], i) => ({ name, t, i, size: itemSize(t.dtype) }))
    .sort((a, b) => b.size - a.size || a.i - b.i);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const { name, t, size } of order) {
    const bytes = t.numel * size;
    header[name] = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return {
    head: Buffer.concat([prefix, json]),
    order: order.map(({ name, t }) => [name, t] as const),
    dataBytes: offset,
  };
}

/** Runs fn with the raw bytes of each tensor (contiguous CPU copies made only where needed). */
function withBytes(order: readonly (readonly [string, Tensor])[], fn: (bytes: Uint8Array) => void): void {
  for (const [, t] of order) {
    if (t.numel === 0) continue;
    tidy(() =>
      noGrad(() => {
        const src = t.device === "cpu" && t.isContiguous() ? t.detach() : t.detach().cpu().contiguous();
        fn(new Uint8Array(native.dataView(src.handle)));
      }),
    );
  }
}

/** The whole file as one Buffer (for sending over the wire or hashing). */
export function serialize(tensors: TensorMap, metadata?: Record<string, string>): Buffer {
  const { head, order, dataBytes } = plan(tensors, metadata, "serialize");
  const out = Buffer.allocUnsafe(head.length + dataBytes);
  head.copy(out, 0);
  let pos = head.length;
  withBytes(order, (b) => {
    out.set(b, pos);
    pos += b.length;
  });
  return out;
}

/**
 * Writes tensors to path atomically: a temp file next to it is written, fsynced and renamed over
 * the target, so readers see the old file or the new one, never a partial one.
 */
export function saveFile(tensors: TensorMap, path: string, metadata?: Record<string, string>): void {
  const where = `file '${path}'`;
  const { head, order } = plan(tensors, metadata, where);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    const out = fd;
    writeAll(out, head);
    withBytes(order, (b) => writeAll(out, b));
    fsyncSync(out);
    closeSync(out);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never created or is already gone
    }
    if (e instanceof TorchError) throw e;
    throw new TorchError(`safetensors ${where}: could not save: ${(e as Error).message}`, "IOError");
  }
  syncDir(dirname(path));
}

function writeAll(fd: number, b: Uint8Array): void {
  let done = 0;
  while (done < b.length) done += writeSync(fd, b, done, b.length - done);
}

/** Makes the rename durable; some filesystems refuse fsync on a directory, which is harmless. */
function syncDir(dir: string): void {
  try {
    const d = openSync(dir, "r");
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // best effort
  }
}

/** Parses and validates the header; returns the entries sorted by offset plus the metadata. */
/**
 * Parses and validates the header. buf holds at least the length prefix and the header;
 * fileSize is the size of the whole file (buf.length when buf is the whole file).
 */
export function parseHeader(
  buf: Uint8Array,
  where: string,
  fileSize = buf.length,
): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (buf.length < 8) fail(where, `is truncated: ${buf.length} bytes, but the header length alone takes 8`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER))
    fail(where, `declares a ${n}-byte header, over the ${MAX_HEADER}-byte limit (not a safetensors file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > buf.length)
    fail(
      where,
      `is truncated: the header needs ${headerLen} bytes but only ${buf.length - 8} follow the length prefix`,
    );
  let text = "";
  try {
    // fatal: invalid UTF-8 is an error, never replacement characters (the format requires UTF-8).
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buf.subarray(8, 8 + headerLen));
  } catch {
    fail(where, `has a header that is not valid UTF-8 (${headerLen} bytes after the length prefix)`);
  }
  if (!text.startsWith("{")) fail(where, "has a header that is not a JSON object (bad magic?)");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(where, `has a header that is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header))
    fail(where, "has a header that is not a JSON object");
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (info === null || typeof info !== "object" || Array.isArray(info))
        fail(where, `'${METADATA_KEY}' must be an object`);
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== "string") fail(where, `metadata value '${k}' must be a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.push(parseEntry(name, info, where));
  }
  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.end > dataLen)
      fail(
        where,
        `tensor '${e.name}' has data_offsets [${e.begin}, ${e.end}] beyond the ${dataLen}-byte data section (truncated file?)`,
      );
    if (e.begin < expected)
      fail(
        where,
        `tensor '${e.name}' overlaps the previous tensor (starts at ${e.begin}, previous ends at ${expected})`,
      );
    if (e.begin > expected)
      fail(where, `tensor '${e.name}' starts at ${e.begin}, leaving a gap after byte ${expected}`);
    expected = e.end;
  }
  if (expected !== dataLen)
    fail(where, `has ${dataLen - expected} trailing bytes after the last tensor (data section ${dataLen} bytes)`);
  return { entries, metadata, dataStart };
}

function parseEntry(name: string, info: unknown, where: string): Entry {
  const at = `tensor '${name}'`;
  if (info === null || typeof info !== "object") return fail(where, `${at}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== "string") return fail(where, `${at}: missing dtype`);
  const dt = FROM_ST.get(dtype);
  if (dt === undefined)
    return fail(where, `${at}: unknown or unsupported dtype '${dtype}' (supported: ${[...FROM_ST.keys()].join(", ")})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    return fail(where, `${at}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0))
    return fail(where, `${at}: data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(where, `${at}: data_offsets [${begin}, ${end}] end before they begin`);
  const need = (shape as number[]).reduce((a, b) => a * b, 1) * itemSize(dt);
  if (end - begin !== need)
    return fail(where, `${at}: data_offsets cover ${end - begin} bytes but ${dtype} shape [${shape}] needs ${need}`);
  return { name, dtype: dt, shape: shape as number[], begin, end };
}

/** What a load does with NaN/Inf weights: warn (default), error (`--strict-finite`), or nothing. */
export type FinitePolicy = "warn" | "error" | "ignore";

export interface LoadOptions {
  device?: Device;
  /** default: "error" when FACELAB_STRICT_FINITE=1 (set by `facelab --strict-finite`), else "warn" */
  finite?: FinitePolicy;
  /** where a warning goes (default console.warn) */
  warn?: (message: string) => void;
}

/** True when a floating tensor's little-endian bytes hold a NaN or ±Inf (all exponent bits set). */
function hasNonFinite(bytes: Uint8Array, dtype: DType): boolean {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  // [element bytes, offset of the word holding the exponent, word size, exponent mask]
  const spec: Partial<Record<DType, [number, number, 2 | 4, number]>> = {
    float32: [4, 0, 4, 0x7f800000],
    float64: [8, 4, 4, 0x7ff00000],
    float16: [2, 0, 2, 0x7c00],
    bfloat16: [2, 0, 2, 0x7f80],
  };
  const sp = spec[dtype];
  if (!sp) return false;
  const [step, at, word, mask] = sp;
  for (let i = at; i < n; i += step) {
    const w = word === 4 ? dv.getUint32(i, true) : dv.getUint16(i, true);
    if ((w & mask) >>> 0 === mask) return true;
  }
  return false;
}

/** Applies the non-finite policy to a parsed buffer before any tensor is made (#14). */
function checkFinite(buf: Uint8Array, entries: Entry[], dataStart: number, where: string, o: LoadOptions): void {
  const policy = o.finite ?? (process.env.FACELAB_STRICT_FINITE === "1" ? "error" : "warn");
  if (policy === "ignore") return;
  const bad = entries
    .filter((e) => hasNonFinite(buf.subarray(dataStart + e.begin, dataStart + e.end), e.dtype))
    .map((e) => e.name);
  if (bad.length === 0) return;
  const names = bad.length > 10 ? `${bad.slice(0, 10).join(", ")} and ${bad.length - 10} more` : bad.join(", ");
  const msg = `safetensors ${where}: non-finite values (NaN or Inf) in ${bad.length} tensor(s): ${names}`;
  if (policy === "error") throw new TorchError(`${msg} (refused: --strict-finite)`, "ValueError");
  (o.warn ?? ((m: string) => console.warn(`warning: ${m}`)))(msg);
}

/** Decodes a safetensors buffer into tensors (in file order) and metadata. */
export function deserialize(
  buf: Uint8Array,
  where = "buffer",
  opts: LoadOptions = {},
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const { entries, metadata, dataStart } = parseHeader(buf, where);
  checkFinite(buf, entries, dataStart, where, opts);
  const tensors = new Map<string, Tensor>();
  try {
    for (const e of entries) {
      const bytes = buf.subarray(dataStart + e.begin, dataStart + e.end);
      tensors.set(e.name, new Tensor(native.fromBuffer(bytes, e.shape, dtypeCode(e.dtype))));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/** Loads every tensor of a file (tensors are registered in the current scope), optionally onto a device. */
export function loadFile(path: string, opts: LoadOptions = {}): Map<string, Tensor> {
  return loadFileWithMetadata(path, opts).tensors;
}

export function loadFileWithMetadata(
  path: string,
  opts: LoadOptions = {},
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const buf = readWhole(path);
  const out = deserialize(buf, `file '${path}'`, opts);
  const device = opts.device;
  if (device !== undefined && device !== "cpu") {
    for (const [k, t] of out.tensors) {
      out.tensors.set(k, t.to(device));
      t.dispose();
    }
  }
  return out;
}

/**
 * Opens a checkpoint for reading: a regular file only (O_NONBLOCK: a FIFO in its place is refused,
 * not waited on). Reads the length prefix and the header, validates the header against the file
 * size, and only then (with `whole`) reads the rest, so a header that lies costs no allocation.
 */
function readChecked(path: string, whole: boolean): { buf: Buffer; size: number } {
  const where = `file '${path}'`;
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (st.isDirectory()) fail(where, "is a folder, expected a .safetensors file");
    if (!st.isFile()) fail(where, "is not a regular file (a FIFO, socket or device); refused");
    const size = st.size;
    const prefix = Buffer.alloc(Math.min(8, size));
    readAt(fd, prefix, 0);
    const n = prefix.length === 8 ? prefix.readBigUInt64LE(0) : 0n;
    // Read only the header first (parseHeader reports absurd or truncated lengths).
    const headerLen = n <= BigInt(MAX_HEADER) ? Math.min(Number(n), size - prefix.length) : 0;
    const head = Buffer.alloc(prefix.length + headerLen);
    prefix.copy(head);
    readAt(fd, head.subarray(8), 8);
    parseHeader(head, where, size);
    if (!whole) return { buf: head, size };
    if (size > bufferConstants.MAX_LENGTH)
      fail(where, `is ${size} bytes, more than one buffer holds (${bufferConstants.MAX_LENGTH})`);
    const buf = Buffer.allocUnsafe(size);
    if (readAt(fd, buf, 0) !== size) fail(where, "shrank while it was read");
    return { buf, size };
  } catch (e) {
    if (e instanceof TorchError) throw e;
    throw new TorchError(`safetensors ${where}: could not read: ${(e as Error).message}`, "IOError");
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Fills buf from the file at position; returns the bytes read (fewer only at end of file). */
function readAt(fd: number, buf: Uint8Array, position: number): number {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

const readWhole = (path: string): Buffer => readChecked(path, true).buf;

/** Reads only the metadata and tensor descriptions (no tensor is created). */
export function readHeader(path: string): {
  metadata: Record<string, string>;
  tensors: { name: string; dtype: DType; shape: number[] }[];
} {
  const { buf, size } = readChecked(path, false);
  const { entries, metadata } = parseHeader(buf, `file '${path}'`, size);
  return { metadata, tensors: entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })) };
}

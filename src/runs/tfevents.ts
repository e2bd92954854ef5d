// TensorBoard event files written by hand: TFRecord framing around hand-encoded `Event` protobufs.
// Only the fields TensorBoard needs for scalars and images are written (tensorflow/core/util/event.proto
// and tensorflow/core/framework/summary.proto field numbers, cited per field below).
import { appendFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { maskedCrc32c } from "./crc32c.js";

// --- protobuf wire encoding (varint = 0, 64-bit = 1, length-delimited = 2, 32-bit = 5) ---

function varint(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`protobuf varint needs a non-negative safe integer, got ${n}`);
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

const key = (field: number, wire: number): number[] => varint((field << 3) | wire);

function bytesField(field: number, data: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...key(field, 2), ...varint(data.length)]), data]);
}

const stringField = (field: number, s: string): Uint8Array => bytesField(field, new TextEncoder().encode(s));
const varintField = (field: number, n: number): Uint8Array => Uint8Array.from([...key(field, 0), ...varint(n)]);

function doubleField(field: number, x: number): Uint8Array {
  const b = new Uint8Array(9);
  b.set(key(field, 1));
  new DataView(b.buffer).setFloat64(1, x, true);
  return b;
}

function floatField(field: number, x: number): Uint8Array {
  const b = new Uint8Array(5);
  b.set(key(field, 5));
  new DataView(b.buffer).setFloat32(1, x, true);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// --- messages ---

/** Event{wall_time=1 (double), step=2 (int64), file_version=3 (string), summary=5}. */
function encodeEvent(wallTime: number, step: number, body: { fileVersion?: string; summary?: Uint8Array }): Uint8Array {
  const parts = [doubleField(1, wallTime), varintField(2, step)];
  if (body.fileVersion !== undefined) parts.push(stringField(3, body.fileVersion));
  if (body.summary !== undefined) parts.push(bytesField(5, body.summary));
  return concat(parts);
}

/** Summary{value=1 (repeated Value)} with one Value{tag=1, simple_value=2 (float)}. */
function scalarSummary(tag: string, value: number): Uint8Array {
  return bytesField(1, concat([stringField(1, tag), floatField(2, value)]));
}

/** Summary{value=1: Value{tag=1, image=4: Image{height=1, width=2, colorspace=3, encoded_image_string=4}}}. */
function imageSummary(tag: string, png: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  const image = concat([varintField(1, height), varintField(2, width), varintField(3, channels), bytesField(4, png)]);
  return bytesField(1, concat([stringField(1, tag), bytesField(4, image)]));
}

/** One TFRecord: uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data); little-endian. */
export function tfrecord(data: Uint8Array): Uint8Array {
  const head = new Uint8Array(12);
  const dv = new DataView(head.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc32c(head.subarray(0, 8)), true);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, maskedCrc32c(data), true);
  return concat([head, data, tail]);
}

/**
 * Appends events to `<dir>/events.out.tfevents.<seconds>.<host>`, the name TensorBoard globs for.
 * Each record is appended synchronously, so a crash loses at most the record being written.
 */
export class EventWriter {
  readonly path: string;
  private readonly clock: () => number;

  constructor(dir: string, opts: { clock?: () => number } = {}) {
    this.clock = opts.clock ?? Date.now;
    const seconds = Math.floor(this.clock() / 1000);
    this.path = join(dir, `events.out.tfevents.${seconds}.${hostname().replace(/[^\w.-]/g, "_")}`);
    // The first record names the format version; TensorBoard reads "brain.Event:2" files.
    writeFileSync(this.path, tfrecord(encodeEvent(this.clock() / 1000, 0, { fileVersion: "brain.Event:2" })), {
      flag: "wx",
    });
  }

  scalar(tag: string, value: number, step: number): void {
    this.append(step, scalarSummary(tag, value));
  }

  /** A PNG image; width/height/channels are stored as TensorBoard shows them (channels 3 = RGB, 4 = RGBA). */
  image(tag: string, png: Uint8Array, step: number, size: { width: number; height: number; channels?: number }): void {
    this.append(step, imageSummary(tag, png, size.width, size.height, size.channels ?? 4));
  }

  private append(step: number, summary: Uint8Array): void {
    appendFileSync(this.path, tfrecord(encodeEvent(this.clock() / 1000, step, { summary })));
  }
}

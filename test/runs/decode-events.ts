// An independent reader for TensorBoard event files, used only by tests: TFRecord framing with CRC
// checks (its own CRC-32C, bitwise rather than table-driven) and a generic protobuf decoder.

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

export function masked(bytes: Uint8Array): number {
  const c = crc32cBitwise(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

export { crc32cBitwise };

/** Splits a TFRecord file into payloads, throwing on a length or data CRC mismatch. */
export function readRecords(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 0;
  while (o < buf.length) {
    const len = Number(dv.getBigUint64(o, true));
    if (dv.getUint32(o + 8, true) !== masked(buf.subarray(o, o + 8))) throw new Error(`bad length CRC at ${o}`);
    const data = buf.subarray(o + 12, o + 12 + len);
    if (dv.getUint32(o + 12 + len, true) !== masked(data)) throw new Error(`bad data CRC at ${o}`);
    out.push(data);
    o += 16 + len;
  }
  return out;
}

type Field = { field: number; wire: number; int?: bigint; bytes?: Uint8Array; f64?: number; f32?: number };

/** Decodes one protobuf message into its raw fields (no schema). */
export function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[o++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (o < buf.length) {
    const k = Number(varint());
    const field = k >> 3;
    const wire = k & 7;
    if (wire === 0) out.push({ field, wire, int: varint() });
    else if (wire === 1) {
      out.push({ field, wire, f64: dv.getFloat64(o, true) });
      o += 8;
    } else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, wire, bytes: buf.subarray(o, o + n) });
      o += n;
    } else if (wire === 5) {
      out.push({ field, wire, f32: dv.getFloat32(o, true) });
      o += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: {
    tag: string;
    simpleValue?: number;
    image?: { height: number; width: number; colorspace: number; png: Uint8Array };
  }[];
}

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** Event{1 wall_time, 2 step, 3 file_version, 5 summary{1 value{1 tag, 2 simple_value, 4 image}}}. */
export function decodeEvent(buf: Uint8Array): DecodedEvent {
  const f = fields(buf);
  const ev: DecodedEvent = {
    wallTime: f.find((x) => x.field === 1)?.f64 ?? 0,
    step: Number(f.find((x) => x.field === 2)?.int ?? 0n),
    values: [],
  };
  const fv = f.find((x) => x.field === 3);
  if (fv) ev.fileVersion = text(fv.bytes);
  const summary = f.find((x) => x.field === 5);
  if (summary) {
    for (const v of fields(summary.bytes!).filter((x) => x.field === 1)) {
      const vf = fields(v.bytes!);
      const entry: DecodedEvent["values"][number] = { tag: text(vf.find((x) => x.field === 1)?.bytes) };
      const sv = vf.find((x) => x.field === 2);
      if (sv) entry.simpleValue = sv.f32!;
      const img = vf.find((x) => x.field === 4);
      if (img) {
        const imf = fields(img.bytes!);
        const int = (n: number): number => Number(imf.find((x) => x.field === n)?.int ?? 0n);
        entry.image = {
          height: int(1),
          width: int(2),
          colorspace: int(3),
          png: imf.find((x) => x.field === 4)!.bytes!,
        };
      }
      ev.values.push(entry);
    }
  }
  return ev;
}

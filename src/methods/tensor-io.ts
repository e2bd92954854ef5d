// Minimal safetensors encode/decode for SimCLR checkpoints (format: 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets:[begin,end]}, "__metadata__": {str: str}}, then the
// raw little-endian tensor bytes; https://github.com/huggingface/safetensors). Written here because
// src/torch/safetensors.ts had not landed when the method needed it; it covers the dtypes a model and
// optimiser state use. Files written here load in PyTorch with safetensors.torch.load_file.
import { type DType, type Tensor, fromTypedArray, typedArrayCtor } from "../torch/index.js";

const CODE: Partial<Record<DType, string>> = {
  float32: "F32",
  float64: "F64",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};
const DTYPE: Record<string, DType> = Object.fromEntries(Object.entries(CODE).map(([d, c]) => [c, d as DType]));

export function saveSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const code = CODE[t.dtype];
    if (code === undefined) throw new TypeError(`safetensors: tensor "${name}" has unsupported dtype ${t.dtype}`);
    const c = t.contiguous();
    const a = c.toTypedArray();
    c.dispose();
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    header[name] = { dtype: code, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((json.length + 8) % 8)) % 8); // the data section starts 8-byte aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

export function loadSafetensors(buf: Uint8Array): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new RangeError("safetensors: file shorter than its 8-byte header length");
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > buf.length) throw new RangeError(`safetensors: header of ${n} bytes runs past the end of the file`);
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))) as Record<string, unknown>;
  const base = 8 + n;
  const tensors = new Map<string, Tensor>();
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const e = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dtype = DTYPE[e.dtype];
    if (dtype === undefined) throw new TypeError(`safetensors: tensor "${name}" has unsupported dtype ${e.dtype}`);
    const [b, end] = e.data_offsets;
    const bytes = buf.slice(base + b, base + end); // a copy: aligned for the typed array
    const Ctor = typedArrayCtor(dtype);
    const arr = new Ctor(bytes.buffer, 0, (end - b) / Ctor.BYTES_PER_ELEMENT);
    tensors.set(name, fromTypedArray(arr, e.shape, { dtype }));
  }
  return { tensors, metadata };
}

// Decoding one image file to a fixed-size RGB uint8 square through sharp (libvips): the only
// place pixels are decoded. Centre crop by default (the seed cropped every source to 128×128),
// or a given face box.
import sharp from "sharp";

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** output side in pixels (square) */
  side: number;
  /** "center": largest centred square; "box": the entry's face box (falls back to centre if none) */
  crop?: "center" | "box";
  /** 3 (RGB, default) or 1 (grayscale) */
  channels?: 1 | 3;
}

/** Decodes and resizes; throws sharp's error (corrupt or unsupported file) for the caller to report. */
export async function decodeImage(input: string | Buffer, o: DecodeOptions, box?: Box): Promise<Uint8Array> {
  // failOn "warning": a truncated JPEG is an error rather than a silently grey bottom half.
  let img = sharp(input, { failOn: "warning" }).rotate();
  if (o.crop === "box" && box) {
    const meta = await img.metadata();
    const clamp = (v: number, hi: number) => Math.max(0, Math.min(hi, Math.round(v)));
    const left = clamp(box.left, (meta.width ?? 1) - 1);
    const top = clamp(box.top, (meta.height ?? 1) - 1);
    img = img.extract({
      left,
      top,
      width: Math.max(1, clamp(box.width, (meta.width ?? 1) - left)),
      height: Math.max(1, clamp(box.height, (meta.height ?? 1) - top)),
    });
  }
  img = img.resize(o.side, o.side, { fit: "cover", position: "centre" }).removeAlpha();
  img = (o.channels ?? 3) === 1 ? img.grayscale() : img.toColourspace("srgb");
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const ch = o.channels ?? 3;
  if (info.width !== o.side || info.height !== o.side || info.channels !== ch)
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${o.side}×${o.side}×${ch}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** Runs fn over items with at most `limit` in flight (sharp decodes on libuv's thread pool). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (x: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

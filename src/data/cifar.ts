// CIFAR-10 binary version (www.cs.toronto.edu/~kriz/cifar.html): each record is 1 label byte then
// 3072 pixel bytes — the 1024 red values, then green, then blue, each 32×32 row-major.
// Batches: data_batch_1..5.bin (10,000 records each) and test_batch.bin.
import { basename, dirname, join } from "node:path";
import { type ItemMeta, MemoryImageSet } from "./imageset.js";
import { DataError, Problems, type ReadOptions, recordRead } from "./options.js";
import { findFile, readRegular } from "./walk.js";

export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
] as const;

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;
/** Largest batch file read: a real batch holds 10,000 records (30.7 MB); 100,000 is plenty. */
const MAX_BATCH_BYTES = 100_000 * RECORD;

/** Reads CIFAR-10 binary batch files into one 32×32×3 set. */
export function readCifar10Files(files: string[], opts: ReadOptions & { name?: string } = {}): MemoryImageSet {
  const problems = new Problems("cifar10", opts.strict ?? true);
  const items: ItemMeta[] = [];
  const chunks: Uint8Array[] = [];
  for (const file of files) {
    // Through the walker: a link out of the batch's folder, a FIFO or a device is refused unopened.
    const before = problems.skipped.length;
    const found = findFile(dirname(file), basename(file), problems);
    if (!found) {
      if (problems.skipped.length > before) continue; // lenient: refused or a folder, counted
      throw new DataError(`cifar10: ${file}: not found`);
    }
    const buf = readRegular(found, "cifar10", MAX_BATCH_BYTES);
    if (buf.length === 0)
      throw new DataError(`cifar10: ${file}: file is empty (0 bytes), expected ${RECORD}-byte records`);
    const whole = Math.floor(buf.length / RECORD);
    if (buf.length % RECORD !== 0)
      problems.report(
        file,
        `size ${buf.length} is not a multiple of the ${RECORD}-byte record (truncated after record ${whole}: ${buf.length % RECORD} bytes left over from byte offset ${whole * RECORD}); not a CIFAR-10 binary batch?`,
      );
    const hwc = new Uint8Array(whole * 3 * PLANE);
    let kept = 0;
    for (let r = 0; r < whole; r++) {
      const base = r * RECORD;
      const label = buf[base] as number;
      if (label > 9) {
        problems.report(`${file}#${r}`, `label byte ${label} is outside 0–9 (is this CIFAR-100 or another format?)`);
        continue;
      }
      // planar RGB → interleaved HWC
      const out = kept * 3 * PLANE;
      for (let p = 0; p < PLANE; p++) {
        hwc[out + 3 * p] = buf[base + 1 + p] as number;
        hwc[out + 3 * p + 1] = buf[base + 1 + PLANE + p] as number;
        hwc[out + 3 * p + 2] = buf[base + 1 + 2 * PLANE + p] as number;
      }
      items.push({ dataset: "cifar10", source: `${file}#${r}`, label });
      kept++;
    }
    chunks.push(hwc.subarray(0, kept * 3 * PLANE));
  }
  const px = new Uint8Array(items.length * 3 * PLANE);
  let off = 0;
  for (const c of chunks) {
    px.set(c, off);
    off += c.length;
  }
  return new MemoryImageSet(opts.name ?? "cifar10", px, SIDE, SIDE, 3, items, problems.skipped, CIFAR10_CLASSES);
}

/** Reads the train (data_batch_1..5) or test (test_batch) split from a cifar-10-batches-bin folder. */
export function readCifar10(dir: string, split: "train" | "test", opts: ReadOptions = {}): MemoryImageSet {
  const files =
    split === "train" ? [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`)) : [join(dir, "test_batch.bin")];
  const probe = new Problems("cifar10", true);
  const missing = files.filter((f) => {
    try {
      return findFile(dir, basename(f), probe) === undefined;
    } catch {
      return false; // present but refused or a folder: readCifar10Files reports it in its mode
    }
  });
  if (missing.length)
    throw new DataError(`cifar10: missing ${missing.join(", ")} (expected the binary version's folder)`);
  const set = readCifar10Files(files, { ...opts, name: `cifar10-${split}` });
  if (set.count === 0) throw new DataError(`cifar10: no usable records in ${dir} (${set.skipped.length} skipped)`);
  recordRead(set);
  return set;
}

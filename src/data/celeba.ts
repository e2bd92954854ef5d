// CelebA (mmlab.ie.cuhk.edu.hk/projects/CelebA.html): img_align_celeba/*.jpg (178×218 aligned),
// identity_CelebA.txt ("000001.jpg 2880"), list_attr_celeba.txt (a count line, a line of 40
// attribute names, then "000001.jpg -1 1 …"), list_eval_partition.txt ("000001.jpg 0" with
// 0=train 1=val 2=test). The text files may sit in the root, Anno/ or Eval/.
import { join } from "node:path";
import { type BuildCacheOptions, buildCache, type CachedImageSet, type CacheEntry } from "./cache.js";
import type { Skip } from "./imageset.js";
import { DataError, Problems } from "./options.js";
import { Rng } from "./rng.js";
import { findFile, readRegular, type WalkFile, walk } from "./walk.js";

const IMAGE = /\.(jpe?g|png)$/i;
/** The real list_attr_celeba.txt is 26 MB. */
const MAX_TEXT_BYTES = 256 * 2 ** 20;

function textFile(dir: string, name: string, problems: Problems): { path: string; lines: string[] } {
  for (const sub of ["", "Anno", "Eval", "anno", "eval"]) {
    const f = findFile(dir, join(sub, name), problems);
    if (!f) continue;
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(readRegular(f, "celeba", MAX_TEXT_BYTES));
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(`celeba: ${f.path}: not valid UTF-8 text`);
    }
    return { path: f.path, lines: text.split(/\r?\n/) };
  }
  throw new DataError(`celeba: ${name} not found in ${dir} (looked in ., Anno/, Eval/)`);
}

/**
 * Problems of the text files. Strict: the first throws, naming file and line. Lenient: a bad line
 * that names an image marks that image (one counted skip when the image is reached, however many
 * of its lines are bad); a line that names no image is a counted skip of its own.
 */
class Lines {
  readonly bad = new Map<string, string>();
  constructor(readonly problems: Problems) {}
  report(path: string, line: number, file: string | undefined, reason: string): void {
    const where = `${path}:${line}`;
    if (this.problems.strict || file === undefined || !IMAGE.test(file)) this.problems.report(where, reason);
    else if (!this.bad.has(file)) this.bad.set(file, `${where}: ${reason}`);
  }
}

/** "<file> <integer>" lines; duplicates must agree; `check` says why a value is out of range. */
function pairs(
  t: { path: string; lines: string[] },
  lines: Lines,
  check: (v: number) => string | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  const first = new Map<string, number>();
  for (const [i, raw] of t.lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const [file, v, ...rest] = line.split(/\s+/);
    const name = file as string;
    const prev = out.get(name);
    const value = Number(v);
    const bad =
      v === undefined || rest.length || !/^-?\d+$/.test(v)
        ? `expected "<file> <integer>", found "${line.slice(0, 80)}"`
        : (check(value) ??
          (prev !== undefined && prev !== value
            ? `${name} listed again with ${value}; line ${first.get(name)} says ${prev}`
            : undefined));
    if (bad !== undefined) {
      lines.report(t.path, i + 1, file, bad);
      continue;
    }
    if (prev === undefined) first.set(name, i + 1);
    out.set(name, value);
  }
  return out;
}

function attributes(
  t: { path: string; lines: string[] },
  lines: Lines,
): { names: string[]; rows: Map<string, number[]> } {
  const names = (t.lines[1] ?? "").trim().split(/\s+/).filter(Boolean);
  if (names.length === 0) throw new DataError(`celeba: ${t.path}:2: expected the attribute names, found an empty line`);
  const rows = new Map<string, number[]>();
  let count = 0;
  for (let i = 2; i < t.lines.length; i++) {
    const line = (t.lines[i] as string).trim();
    if (!line) continue;
    count++;
    const [file, ...vals] = line.split(/\s+/);
    if (vals.length !== names.length || vals.some((v) => v !== "1" && v !== "-1")) {
      lines.report(
        t.path,
        i + 1,
        file,
        `expected ${names.length} values of 1/-1 after the file name, found ${vals.length}`,
      );
      continue;
    }
    const row = vals.map((v) => (v === "1" ? 1 : 0));
    const prev = rows.get(file as string);
    if (prev && prev.join() !== row.join()) lines.report(t.path, i + 1, file, `${file} listed again with other values`);
    else rows.set(file as string, row);
  }
  // The first line is the number of rows (202599 in the real file).
  const head = (t.lines[0] ?? "").trim();
  if (!/^\d+$/.test(head) || Number(head) !== count)
    lines.problems.report(
      `${t.path}:1`,
      `count line says "${head.slice(0, 40)}", expected ${count} (the number of rows)`,
    );
  return { names, rows };
}

export interface CelebaOptions {
  strict?: boolean;
  /** keep one random image per identity (the seed's sampling: 10,177 images from 202,599) */
  onePerIdentity?: boolean;
  seed?: number;
  /** keep only this partition */
  partition?: "train" | "val" | "test";
}

/** Lists CelebA images with identity, partition and the 40 binary attributes (as 0/1). */
export function listCeleba(dir: string, o: CelebaOptions = {}): { entries: CacheEntry[]; skipped: Skip[] } {
  const problems = new Problems("celeba", o.strict ?? true);
  const imgDir = join(dir, "img_align_celeba");
  const lines = new Lines(problems);
  const ids = pairs(textFile(dir, "identity_CelebA.txt", problems), lines, (v) =>
    v >= 1 ? undefined : `identity ${v} is not a positive integer`,
  );
  const parts = pairs(textFile(dir, "list_eval_partition.txt", problems), lines, (v) =>
    v >= 0 && v <= 2 ? undefined : `partition ${v} is outside 0–2 (0=train, 1=val, 2=test)`,
  );
  const { names, rows } = attributes(textFile(dir, "list_attr_celeba.txt", problems), lines);
  const onDisk = new Map<string, WalkFile>(
    walk(imgDir, problems, { recursive: false, accept: (f) => IMAGE.test(f) }).map((f) => [f.rel, f]),
  );
  for (const f of onDisk.keys())
    if (!ids.has(f)) {
      problems.report(join(imgDir, f), lines.bad.get(f) ?? "image has no entry in identity_CelebA.txt");
      lines.bad.delete(f);
    }
  const wantPart = o.partition === undefined ? undefined : { train: 0, val: 1, test: 2 }[o.partition];
  let entries: CacheEntry[] = [];
  // One report per image, whichever of its lines or files is wrong first.
  for (const [file, identity] of [...ids].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const path = join(imgDir, file);
    const partition = parts.get(file);
    const attr = rows.get(file);
    const bad = lines.bad.get(file);
    lines.bad.delete(file);
    if (bad !== undefined) problems.report(path, bad);
    else if (!onDisk.has(file)) problems.report(path, "listed in identity_CelebA.txt but the image is missing");
    else if (partition === undefined) problems.report(path, "no entry in list_eval_partition.txt");
    else if (attr === undefined) problems.report(path, "no entry in list_attr_celeba.txt");
    else if (wantPart === undefined || partition === wantPart) {
      const attrs: Record<string, number> = { partition };
      names.forEach((n, k) => {
        attrs[n] = attr[k] as number;
      });
      const real = onDisk.get(file)?.real;
      entries.push({ path, real, meta: { dataset: "celeba", source: path, identity, attrs } });
    }
  }
  // Bad lines about images that are neither listed nor on disk: one counted skip each.
  for (const [file, reason] of lines.bad) problems.report(join(imgDir, file), reason);
  if (o.onePerIdentity) {
    const byId = new Map<number, CacheEntry[]>();
    for (const e of entries) {
      const id = e.meta.identity as number;
      if (!byId.has(id)) byId.set(id, []);
      byId.get(id)?.push(e);
    }
    const rng = new Rng(o.seed ?? 0);
    entries = [...byId.keys()]
      .sort((a, b) => a - b)
      .map((id) => {
        const list = byId.get(id) as CacheEntry[];
        return list[rng.int(0, list.length)] as CacheEntry;
      });
  }
  if (entries.length === 0) throw new DataError(`celeba: no usable images in ${dir}`);
  return { entries, skipped: problems.skipped };
}

export async function readCeleba(
  dir: string,
  o: CelebaOptions & Omit<BuildCacheOptions, "name"> & { name?: string },
): Promise<CachedImageSet> {
  const { entries, skipped } = listCeleba(dir, o);
  return buildCache(entries, { ...o, name: o.name ?? (o.onePerIdentity ? "celeba-1pid" : "celeba"), skipped });
}

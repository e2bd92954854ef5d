// CelebA (mmlab.ie.cuhk.edu.hk/projects/CelebA.html): img_align_celeba/*.jpg (178×218 aligned),
// identity_CelebA.txt ("000001.jpg 2880"), list_attr_celeba.txt (a count line, a line of 40
// attribute names, then "000001.jpg -1 1 …"), list_eval_partition.txt ("000001.jpg 0" with
// 0=train 1=val 2=test). The text files may sit in the root, Anno/ or Eval/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type BuildCacheOptions, buildCache, type CachedImageSet, type CacheEntry } from "./cache.js";
import type { Skip } from "./imageset.js";
import { DataError, Problems } from "./options.js";
import { Rng } from "./rng.js";

function findFile(dir: string, name: string): string {
  for (const sub of ["", "Anno", "Eval", "anno", "eval"]) {
    const p = join(dir, sub, name);
    if (existsSync(p)) return p;
  }
  throw new DataError(`celeba: ${name} not found in ${dir} (looked in ., Anno/, Eval/)`);
}

function pairs(path: string, problems: Problems): Map<string, number> {
  const out = new Map<string, number>();
  readFileSync(path, "utf8")
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (!line.trim()) return;
      const [file, v, ...rest] = line.trim().split(/\s+/);
      if (!file || v === undefined || rest.length || !/^-?\d+$/.test(v))
        problems.report(`${path}:${i + 1}`, `expected "<file> <integer>", got "${line.trim()}"`);
      else out.set(file, Number(v));
    });
  return out;
}

function attributes(path: string, problems: Problems): { names: string[]; rows: Map<string, number[]> } {
  const lines = readFileSync(path, "utf8").split(/\r?\n/);
  const names = (lines[1] ?? "").trim().split(/\s+/).filter(Boolean);
  if (names.length === 0) throw new DataError(`celeba: ${path} line 2 should list the attribute names`);
  const rows = new Map<string, number[]>();
  for (let i = 2; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line) continue;
    const [file, ...vals] = line.split(/\s+/);
    if (vals.length !== names.length || vals.some((v) => v !== "1" && v !== "-1"))
      problems.report(`${path}:${i + 1}`, `expected ${names.length} values of 1/-1 after the file name`);
    else
      rows.set(
        file as string,
        vals.map((v) => (v === "1" ? 1 : 0)),
      );
  }
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
  if (!existsSync(imgDir)) throw new DataError(`celeba: ${imgDir} not found`);
  const ids = pairs(findFile(dir, "identity_CelebA.txt"), problems);
  const parts = pairs(findFile(dir, "list_eval_partition.txt"), problems);
  const { names, rows } = attributes(findFile(dir, "list_attr_celeba.txt"), problems);
  const onDisk = new Set(readdirSync(imgDir).filter((f) => /\.(jpe?g|png)$/i.test(f)));
  for (const f of onDisk)
    if (!ids.has(f)) problems.report(join(imgDir, f), "image has no entry in identity_CelebA.txt");
  const wantPart = o.partition === undefined ? undefined : { train: 0, val: 1, test: 2 }[o.partition];
  let entries: CacheEntry[] = [];
  for (const [file, identity] of [...ids].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const path = join(imgDir, file);
    const partition = parts.get(file);
    const attr = rows.get(file);
    if (!onDisk.has(file)) problems.report(path, "listed in identity_CelebA.txt but the image is missing");
    else if (partition === undefined) problems.report(path, "no entry in list_eval_partition.txt");
    else if (attr === undefined) problems.report(path, "no entry in list_attr_celeba.txt");
    else if (wantPart === undefined || partition === wantPart) {
      const attrs: Record<string, number> = { partition };
      names.forEach((n, k) => {
        attrs[n] = attr[k] as number;
      });
      entries.push({ path, meta: { dataset: "celeba", source: path, identity, attrs } });
    }
  }
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

// Plain image folders: FFHQ (PNG thumbnails, possibly in numbered sub-folders, no labels) and any
// folder of images — one class per sub-folder when the images sit in sub-folders, else unlabeled.
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { type BuildCacheOptions, buildCache, type CachedImageSet, type CacheEntry } from "./cache.js";
import { DataError } from "./options.js";

const IMAGE = /\.(jpe?g|png|webp|tiff?|gif)$/i;

function listImages(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => IMAGE.test(f)).sort();
  } catch {
    throw new DataError(`cannot read folder ${dir}`);
  }
}

/** Lists a folder: class per first-level sub-folder (labels in sorted folder order) or unlabeled. */
export function listImageFolder(
  dir: string,
  o: { dataset?: string; labels?: "auto" | "none" } = {},
): { entries: CacheEntry[]; classes?: string[] } {
  const files = listImages(dir);
  if (files.length === 0) throw new DataError(`no images (jpg, png, webp, tiff, gif) under ${dir}`);
  const dataset = o.dataset ?? "folder";
  const nested = files.every((f) => f.includes(sep));
  const subdirs = readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory());
  if ((o.labels ?? "auto") === "auto" && nested && subdirs.length > 1) {
    const classes = [...new Set(files.map((f) => f.split(sep)[0] as string))].sort();
    const entries = files.map((f) => ({
      path: join(dir, f),
      meta: { dataset, source: join(dir, f), label: classes.indexOf(f.split(sep)[0] as string) },
    }));
    return { entries, classes };
  }
  return {
    entries: files.map((f) => ({
      path: join(dir, f),
      meta: { dataset, source: join(dir, relative(dir, join(dir, f))) },
    })),
  };
}

export async function readImageFolder(
  dir: string,
  o: Omit<BuildCacheOptions, "name"> & { name?: string; labels?: "auto" | "none" },
): Promise<CachedImageSet> {
  const name = o.name ?? "folder";
  const { entries, classes } = listImageFolder(dir, { dataset: name, labels: o.labels });
  return buildCache(entries, { ...o, name, classes });
}

/** FFHQ thumbnails (a folder of PNGs, any nesting), unlabeled. */
export async function readFfhq(dir: string, o: Omit<BuildCacheOptions, "name">): Promise<CachedImageSet> {
  const { entries } = listImageFolder(dir, { dataset: "ffhq", labels: "none" });
  return buildCache(entries, { ...o, name: "ffhq" });
}

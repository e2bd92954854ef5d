// Plain image folders: FFHQ (PNG thumbnails, possibly in numbered sub-folders, no labels) and any
// folder of images — one class per sub-folder when the images sit in sub-folders, else unlabeled.
import { sep } from "node:path";
import { type BuildCacheOptions, buildCache, type CachedImageSet, type CacheEntry } from "./cache.js";
import type { Skip } from "./imageset.js";
import { DataError, leftOut, Problems } from "./options.js";
import { walk } from "./walk.js";

const IMAGE = /\.(jpe?g|png|webp|tiff?|gif)$/i;

/**
 * Lists a folder through the walker (no links out of it, no loops, no FIFOs or devices; dot-files
 * ignored): class per first-level sub-folder (labels in sorted folder order) or unlabeled.
 */
export function listImageFolder(
  dir: string,
  o: { dataset?: string; labels?: "auto" | "none"; strict?: boolean } = {},
): { entries: CacheEntry[]; classes?: string[]; skipped: Skip[] } {
  const dataset = o.dataset ?? "folder";
  const problems = new Problems(dataset, o.strict ?? true);
  const files = walk(dir, problems, { accept: (name) => IMAGE.test(name) });
  if (files.length === 0)
    throw new DataError(
      `${dataset}: no images (jpg, png, webp, tiff, gif) under ${dir} (${leftOut(problems.skipped)})`,
    );
  const skipped = problems.skipped;
  const nested = files.every((f) => f.rel.includes(sep));
  const classes = [...new Set(files.map((f) => f.rel.split(sep)[0] as string))].sort();
  if ((o.labels ?? "auto") === "auto" && nested && classes.length > 1) {
    const entries = files.map((f) => ({
      path: f.path,
      real: f.real,
      meta: { dataset, source: f.path, label: classes.indexOf(f.rel.split(sep)[0] as string) },
    }));
    return { entries, classes, skipped };
  }
  return { entries: files.map((f) => ({ path: f.path, real: f.real, meta: { dataset, source: f.path } })), skipped };
}

export async function readImageFolder(
  dir: string,
  o: Omit<BuildCacheOptions, "name"> & { name?: string; labels?: "auto" | "none" },
): Promise<CachedImageSet> {
  const name = o.name ?? "folder";
  const { entries, classes, skipped } = listImageFolder(dir, { dataset: name, labels: o.labels, strict: o.strict });
  return buildCache(entries, { ...o, name, classes, skipped });
}

/** FFHQ thumbnails (a folder of PNGs, any nesting), unlabeled. */
export async function readFfhq(dir: string, o: Omit<BuildCacheOptions, "name">): Promise<CachedImageSet> {
  const { entries, skipped } = listImageFolder(dir, { dataset: "ffhq", labels: "none", strict: o.strict });
  return buildCache(entries, { ...o, name: "ffhq", skipped });
}

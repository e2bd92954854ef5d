// UTKFace: labels live only in the file name, `[age]_[gender]_[race]_[date&time].jpg` (aligned
// crops add `.chip.jpg`); age 0–116, gender 0=male 1=female, race 0–4 = White, Black, Asian,
// Indian, Others; date yyyymmddHHMMSSFFF (susanqq.github.io/UTKFace, reference/face-losses-and-bias.md §4.2).
// The real set has malformed names (race missing in 39_1_20170116174525125.jpg.chip.jpg and two
// others, a space or a missing dot in two more). Such files are reported and dropped, never guessed:
// public loaders "fix" them inconsistently. UTKFace has no identity labels.
import { type BuildCacheOptions, buildCache, type CachedImageSet, type CacheEntry } from "./cache.js";
import type { Skip } from "./imageset.js";
import { DataError, leftOut, Problems } from "./options.js";
import { walk } from "./walk.js";

export const UTK_GENDERS = ["male", "female"] as const;
export const UTK_RACES = ["White", "Black", "Asian", "Indian", "Others"] as const;

export interface UtkLabels {
  age: number;
  gender: number;
  race: number;
  date: string;
}

const NAME = /^(?<fields>[^.]*)\.jpg(?:\.chip\.jpg)?$/;

/** Parses a UTKFace file name; returns the labels or the reason it is unusable. */
export function parseUtkName(name: string): UtkLabels | { error: string } {
  const m = NAME.exec(name);
  if (!m) return { error: "name does not end in .jpg or .jpg.chip.jpg after the fields" };
  const fields = (m.groups?.fields ?? "").split("_");
  if (fields.length !== 4)
    return { error: `expected 4 fields age_gender_race_date, found ${fields.length} (${fields.join(", ")})` };
  const [a, g, r, d] = fields as [string, string, string, string];
  const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : Number.NaN);
  const age = int(a);
  const gender = int(g);
  const race = int(r);
  if (!(age >= 0 && age <= 116)) return { error: `age '${a}' is not an integer in 0–116` };
  if (!(gender === 0 || gender === 1)) return { error: `gender '${g}' is not 0 or 1` };
  if (!(race >= 0 && race <= 4)) return { error: `race '${r}' is not an integer in 0–4` };
  if (!/^\d{8,17}$/.test(d)) return { error: `date '${d}' is not yyyymmddHHMMSSFFF digits` };
  return { age, gender, race, date: d };
}

export interface UtkListing {
  entries: CacheEntry[];
  skipped: Skip[];
}

/** Lists the images under dir (recursively) with their parsed labels; bad names are problems. */
export function listUtkFace(dir: string, o: { strict?: boolean; labelBy?: "gender" | "race" } = {}): UtkListing {
  // UTKFace's known bad names make strict reading fail on the real set, so lenient is the default.
  const problems = new Problems("utkface", o.strict ?? false);
  const entries: CacheEntry[] = [];
  // The walker lists (no links out of the folder, no loops, no FIFOs or devices; dot-files ignored).
  for (const f of walk(dir, problems, { accept: (name) => /\.(jpe?g|png)$/i.test(name) })) {
    const p = parseUtkName(f.rel.split(/[\\/]/).pop() as string);
    if ("error" in p) {
      problems.report(f.path, p.error);
      continue;
    }
    const attrs = { age: p.age, gender: p.gender, race: p.race };
    entries.push({
      path: f.path,
      real: f.real,
      meta: { dataset: "utkface", source: f.path, attrs, ...(o.labelBy ? { label: attrs[o.labelBy] } : {}) },
    });
  }
  if (entries.length === 0) throw new DataError(`utkface: no usable images in ${dir} (${leftOut(problems.skipped)})`);
  return { entries, skipped: problems.skipped };
}

/** Lists, decodes and caches UTKFace (aligned crops are already face-centred: centre crop). */
export async function readUtkFace(
  dir: string,
  o: Omit<BuildCacheOptions, "name"> & { labelBy?: "gender" | "race"; name?: string },
): Promise<CachedImageSet> {
  const { entries, skipped } = listUtkFace(dir, o);
  const classes = o.labelBy === "gender" ? UTK_GENDERS : o.labelBy === "race" ? UTK_RACES : undefined;
  return buildCache(entries, { ...o, name: o.name ?? "utkface", skipped, classes, strict: o.strict ?? false });
}

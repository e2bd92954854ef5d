// The face-recognition study's demographic-imbalance datasets (seed, "Dataset Creation"): pick
// images so a demographic attribute has exact target proportions (50/50 … 10/90, or "X% White"),
// make every picked image its own identity class, train on K augmented copies of each (16 in the
// seed), test on the original plus one more augmented copy, and keep a disjoint "unseen" set of
// people (25 in the seed). Everything follows from the seed and is written to a manifest.
import { writeFileSync } from "node:fs";
import type { ImageSet } from "./imageset.js";
import { DataError } from "./options.js";
import { deriveSeed, Rng } from "./rng.js";
import { allocate } from "./splits.js";

export interface ImbalanceOptions {
  /** attribute key on the items, e.g. "gender" or "race" */
  attribute: string;
  /** attribute value → proportion (sums to 1); values absent here are not used */
  proportions: Record<number, number>;
  /** number of identities (= picked images) in the training population */
  identities: number;
  /** augmented training copies per identity (seed: 16) */
  copies?: number;
  /** people held out entirely (seed: 25) */
  unseen?: number;
  seed: number;
  /** display names of the attribute values, for messages and the manifest */
  groupNames?: readonly string[];
}

export interface IdentityEntry {
  cls: number;
  item: number;
  group: number;
  source: string;
}
export interface ViewEntry {
  cls: number;
  item: number;
  /** augmentation seed, or null for the unaugmented original */
  augSeed: number | null;
}

export interface ImbalanceSplit {
  manifest: {
    attribute: string;
    proportions: Record<string, number>;
    identities: number;
    copies: number;
    unseen: number;
    seed: number;
    /** per group value: identities picked, unseen people, images available */
    groups: Record<string, { identities: number; unseen: number; available: number }>;
    people: IdentityEntry[];
    unseenPeople: { item: number; group: number; source: string }[];
  };
  train: ViewEntry[];
  test: ViewEntry[];
  unseen: ViewEntry[];
}

/**
 * Parses a proportion spec over the attribute's groups: "30/70" (in group order), "White=40"
 * or "40% White" (the rest shared equally among the other groups), or "0=0.3,1=0.7".
 */
export function parseProportions(spec: string, groupNames: readonly string[]): Record<number, number> {
  const s = spec.trim();
  const byName = (n: string) => {
    const i = groupNames.findIndex((g) => g.toLowerCase() === n.trim().toLowerCase());
    const k = i >= 0 ? i : /^\d+$/.test(n.trim()) ? Number(n) : -1;
    if (k < 0 || k >= groupNames.length) throw new DataError(`unknown group '${n}' (groups: ${groupNames.join(", ")})`);
    return k;
  };
  const pct = (v: string) => {
    const x = Number(v.replace("%", ""));
    if (!Number.isFinite(x)) throw new DataError(`'${v}' in proportions '${spec}' is not a number`);
    return x > 1 ? x / 100 : x;
  };
  const one = /^(\d+(?:\.\d+)?)%\s*(\S.*)$/.exec(s) ?? /^([^=,/]+)=(\d+(?:\.\d+)?%?)$/.exec(s);
  if (one) {
    const [a, b] = [one[1] as string, one[2] as string];
    const [name, value] = /^\d/.test(a) && s.includes("%") && !s.includes("=") ? [b, a] : [a, b];
    const k = byName(name);
    const p = pct(value);
    const rest = (1 - p) / (groupNames.length - 1);
    return Object.fromEntries(groupNames.map((_, i) => [i, i === k ? p : rest]));
  }
  if (s.includes("/")) {
    const parts = s.split("/").map(pct);
    if (parts.length !== groupNames.length)
      throw new DataError(
        `'${spec}' has ${parts.length} parts but there are ${groupNames.length} groups (${groupNames.join(", ")})`,
      );
    const sum = parts.reduce((a, b) => a + b, 0);
    return Object.fromEntries(parts.map((p, i) => [i, p / sum]));
  }
  return Object.fromEntries(
    s.split(",").map((kv) => {
      const [k, v] = kv.split("=");
      if (v === undefined)
        throw new DataError(`cannot read proportions '${spec}'; try "30/70", "40% White" or "0=0.3,1=0.7"`);
      return [byName(k as string), pct(v)];
    }),
  );
}

/** Builds the split, or says exactly why the request cannot be met. */
export function buildImbalanceSplit(set: Pick<ImageSet, "items" | "name">, o: ImbalanceOptions): ImbalanceSplit {
  const copies = o.copies ?? 16;
  const unseenN = o.unseen ?? 25;
  const name = (g: number) => o.groupNames?.[g] ?? `${o.attribute}=${g}`;
  const groups = Object.keys(o.proportions)
    .map(Number)
    .filter((g) => (o.proportions[g] as number) > 0)
    .sort((a, b) => a - b);
  const total = Object.values(o.proportions).reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-6) throw new DataError(`proportions must sum to 1, got ${total}`);
  if (!(Number.isInteger(o.identities) && o.identities > 0))
    throw new DataError(`identities must be a positive integer`);
  if (!(Number.isInteger(copies) && copies >= 1)) throw new DataError(`copies must be a positive integer`);

  // Exact proportions: n·p must be a whole number of people for every group.
  const need = groups.map((g) => o.identities * (o.proportions[g] as number));
  if (need.some((x) => Math.abs(x - Math.round(x)) > 1e-6)) {
    const step = groups.map((g) => 1 / (o.proportions[g] as number));
    throw new DataError(
      `${o.identities} identities cannot be split exactly as ${groups.map((g) => `${name(g)} ${(100 * (o.proportions[g] as number)).toFixed(1)}%`).join(" / ")} ` +
        `(would need ${need.map((x) => x.toFixed(2)).join(" / ")} people); choose a multiple of ${lcmOfSteps(step)}`,
    );
  }
  const counts = need.map(Math.round);
  const pools = new Map<number, number[]>(groups.map((g) => [g, []]));
  set.items.forEach((it, i) => {
    const v = it.attrs?.[o.attribute];
    if (v !== undefined) pools.get(v)?.push(i);
  });
  // The unseen people are spread evenly over the groups in use.
  const unseenCounts = allocate(
    unseenN,
    groups.map(() => 1),
  );
  const rng = new Rng(o.seed);
  const picked: { item: number; group: number }[] = [];
  const unseenPeople: { item: number; group: number }[] = [];
  const report: ImbalanceSplit["manifest"]["groups"] = {};
  groups.forEach((g, gi) => {
    const pool = rng.shuffle((pools.get(g) as number[]).slice()) as number[];
    const want = (counts[gi] as number) + (unseenCounts[gi] as number);
    if (pool.length < want)
      throw new DataError(
        `${set.name}: group ${name(g)} needs ${counts[gi]} identities + ${unseenCounts[gi]} unseen = ${want} images but only ${pool.length} have ${o.attribute}=${g}`,
      );
    picked.push(...pool.slice(0, counts[gi]).map((item) => ({ item, group: g })));
    unseenPeople.push(...pool.slice(counts[gi], want).map((item) => ({ item, group: g })));
    report[String(g)] = {
      identities: counts[gi] as number,
      unseen: unseenCounts[gi] as number,
      available: pool.length,
    };
  });
  rng.shuffle(picked);
  const people = picked.map((p, cls) => ({ cls, ...p, source: set.items[p.item]?.source ?? "" }));
  // Augmentation seeds derive from (seed, class, copy) so any copy can be regenerated alone.
  const train: ViewEntry[] = people.flatMap((p) =>
    Array.from({ length: copies }, (_, k) => ({ cls: p.cls, item: p.item, augSeed: deriveSeed(o.seed, p.cls, k) })),
  );
  const test: ViewEntry[] = people.flatMap((p) => [
    { cls: p.cls, item: p.item, augSeed: null },
    { cls: p.cls, item: p.item, augSeed: deriveSeed(o.seed, p.cls, copies) },
  ]);
  const unseen: ViewEntry[] = unseenPeople.map((p) => ({ cls: -1, item: p.item, augSeed: null }));
  return {
    manifest: {
      attribute: o.attribute,
      proportions: Object.fromEntries(groups.map((g) => [name(g), o.proportions[g] as number])),
      identities: o.identities,
      copies,
      unseen: unseenN,
      seed: o.seed,
      groups: Object.fromEntries(Object.entries(report).map(([g, r]) => [name(Number(g)), r])),
      people,
      unseenPeople: unseenPeople.map((p) => ({ ...p, source: set.items[p.item]?.source ?? "" })),
    },
    train,
    test,
    unseen,
  };
}

function lcmOfSteps(steps: number[]): number {
  // smallest n ≤ 10000 with n·p integral for every group
  for (let n = 1; n <= 10000; n++) if (steps.every((s) => Math.abs(n / s - Math.round(n / s)) < 1e-6)) return n;
  return Number.NaN;
}

export function writeManifest(path: string, split: ImbalanceSplit): void {
  writeFileSync(path, `${JSON.stringify(split.manifest, null, 1)}\n`);
}

// One cell's data, built as the seed describes (Data §3.1): pick originals so the split's group
// proportions hold exactly, make each original its own identity, train on K augmented copies, test
// on the original plus one more augmented copy; add a held-out augmented copy for temperature
// fitting and a disjoint set of unseen people (original + augmented copy each, for verification).
// The unseen people depend only on the seed, so every split and loss of a seed meets the same ones.
import { augment, faceStudy } from "../../data/augment/index.js";
import { seedOf, uniformStream } from "../../data/rng.js";
import { renderSynthFaces, SYNTH_GENDERS, SYNTH_GROUPS } from "../../data/synth.js";
import { cat, fromTypedArray, type Tensor, tidy } from "../../torch/index.js";
import type { BiasConfig, Split } from "./config.js";

export interface ImageBatch {
  /** uint8 (N,3,S,S) */
  images: Tensor;
  identity: Int32Array;
  group: Int32Array;
}

export interface CellData {
  groups: string[];
  numIdentities: number;
  train: ImageBatch;
  calib: ImageBatch;
  /** original = 1 for the unaugmented photo. */
  test: ImageBatch & { original: Uint8Array };
  unseen: ImageBatch & { original: Uint8Array };
  manifest: Record<string, unknown>;
}

/** Where originals come from: a group per candidate and a way to get their pixels. */
export interface FacePool {
  source: string;
  /** Index into cfg.data.groups per candidate, −1 when the candidate is in none of them. */
  group: Int32Array;
  /** Float (n,3,S,S) in [0,1] of the given candidates' original photos. */
  originals(indices: number[]): Promise<Tensor>;
  /**
   * Another photo of the same people, when the source has one (synthetic faces): the unseen
   * people's verification mates. Without it the mate is an augmented copy of the original.
   */
  secondPhotos?(indices: number[]): Promise<Tensor>;
}

/**
 * How the bias study asks src/data/synth.ts to draw faces (#12): a tight crop (the face fills the
 * frame, as in UTKFace's aligned crops), identity differences 2.5× the renderer's default and grey
 * backdrops. With the default look, at 24 px a photo's backdrop colour and pose told people apart
 * more than their faces did, so shrinking one group's identity spread (a planted effect) barely
 * changed its accuracy. Measurements: the variation comment in config.ts.
 */
export const BIAS_FACES = { crop: 0.7, identityScale: 2.5, background: "grey" } as const;

/**
 * Synthetic faces from src/data/synth.ts (identities with stable geometry, two photos each), with
 * enough people per group for any split of this config. Attribute "gender" uses the renderer's
 * gender-like attribute (2 groups); any other name (group, race, …) its 5-level skin-tone group,
 * config group i being renderer group i. A planted effect shrinks that group's between-identity
 * spread (synth's groupSpread): its people look alike.
 */
export async function syntheticPool(cfg: BiasConfig, seed: number): Promise<FacePool> {
  const { groups, attribute, planted } = cfg.data;
  const byGender = attribute === "gender";
  const levels = byGender ? SYNTH_GENDERS.length : SYNTH_GROUPS.length;
  if (groups.length > levels)
    throw new Error(
      `synthetic faces have ${levels} values of ${byGender ? "gender" : `"${attribute}" (the renderer's skin-tone group)`}, data.groups lists ${groups.length}`,
    );
  if (planted && byGender)
    throw new Error(
      'data.planted needs a data.attribute other than "gender" with synthetic faces (the renderer varies spread per skin-tone group)',
    );
  const plantedIdx = planted ? groups.indexOf(planted.group) : -1;
  if (planted && plantedIdx < 0)
    throw new Error(`data.planted.group "${planted.group}" is not one of data.groups (${groups.join(", ")})`);
  const perGroup = cfg.data.identities + cfg.data.unseen;
  const used = (n: number) => Array.from({ length: n }, (_, i) => (i < groups.length ? 1 : 0));
  const set = await renderSynthFaces({
    identities: perGroup * groups.length,
    imagesPerIdentity: 2,
    side: cfg.data.imageSize,
    variation: cfg.data.variation,
    seed: seedOf("synth-people", seed),
    ...BIAS_FACES,
    ...(byGender ? { genderP: 0.5, groupProbs: [1, 1, 1, 1, 1] } : { groupProbs: used(levels) }),
    ...(planted && { groupSpread: used(levels).map((_, i) => (i === plantedIdx ? 1 - planted.strength : 1)) }),
  });
  // Items come as identity-major pairs (photo 0, photo 1); candidates are identities.
  const firsts = set.items.flatMap((_, i) => (i % 2 === 0 ? [i] : []));
  const photos = async (idx: number[], k: number) => {
    const px = await set.read(idx.map((i) => (firsts[i] as number) + k));
    const S = cfg.data.imageSize;
    return tidy(() => fromTypedArray(px, [idx.length, S, S, 3]).permute(0, 3, 1, 2).float().div(255).contiguous());
  };
  const key = byGender ? "gender" : "group";
  return {
    source: "synthetic",
    group: Int32Array.from(firsts, (i) => set.items[i]?.attrs?.[key] ?? -1).map((v) => (v < groups.length ? v : -1)),
    originals: (idx) => photos(idx, 0),
    secondPhotos: (idx) => photos(idx, 1),
  };
}

/** Largest-remainder rounding: counts summing exactly to total, as close to p·total as possible. */
export function exactCounts(proportions: number[], total: number): number[] {
  const raw = proportions.map((p) => p * total);
  const counts = raw.map(Math.floor);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < total - counts.reduce((a, b) => a + b, 0); k++) {
    const i = order[k % order.length]?.[1] as number;
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

function pickFrom(cands: number[], k: number, r: () => number): number[] {
  const a = [...cands];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a.slice(0, k);
}

/** The people of one cell: unseen (seed only) then training identities (seed and split). */
export function selectPeople(
  pool: FacePool,
  cfg: BiasConfig,
  split: Split,
  seed: number,
): { train: number[]; unseen: number[] } {
  const groups = cfg.data.groups;
  const byGroup = groups.map((_, g) => Array.from(pool.group.keys()).filter((i) => pool.group[i] === g));
  const unseenCounts = exactCounts(
    groups.map(() => 1 / groups.length),
    cfg.data.unseen,
  );
  const ru = uniformStream(seedOf("unseen", seed));
  const unseen = byGroup.flatMap((c, g) => {
    if (c.length < (unseenCounts[g] as number))
      throw new Error(
        `group "${groups[g]}" has ${c.length} people, fewer than the ${unseenCounts[g]} unseen people asked for`,
      );
    return pickFrom(c, unseenCounts[g] as number, ru);
  });
  const taken = new Set(unseen);
  const counts = exactCounts(
    groups.map((g) => split.proportions[g] ?? 0),
    cfg.data.identities,
  );
  const rt = uniformStream(seedOf("train", seed, split.name));
  const train = byGroup.flatMap((c, g) => {
    const free = c.filter((i) => !taken.has(i));
    if (free.length < (counts[g] as number))
      throw new Error(
        `split ${split.name} needs ${counts[g]} "${groups[g]}" identities but only ${free.length} remain after the unseen set; ` +
          "lower data.identities or data.unseen",
      );
    return pickFrom(free, counts[g] as number, rt);
  });
  return { train: pickFrom(train, train.length, rt), unseen };
}

const toU8 = (x: Tensor) => x.mul(255).round().clamp(0, 255).to("uint8");

/** K augmented copies of each image, each copy with its own per-image seed. */
function copies(x: Tensor, k: number, size: number, tag: string, seed: number): Tensor {
  return tidy(() => {
    const n = x.shape[0] as number;
    const parts: Tensor[] = [];
    for (let c = 0; c < k; c++) {
      const seeds = Array.from({ length: n }, (_, i) => seedOf(tag, seed, c, i));
      parts.push(toU8(augment(x, faceStudy(size), { seeds })));
    }
    return parts.length === 1 ? (parts[0] as Tensor) : cat(parts, 0);
  });
}

const rep = (a: ArrayLike<number>, k: number) =>
  Int32Array.from({ length: a.length * k }, (_, i) => a[i % a.length] as number);

export async function buildCellData(cfg: BiasConfig, split: Split, seed: number, pool: FacePool): Promise<CellData> {
  const { train, unseen } = selectPeople(pool, cfg, split, seed);
  const size = cfg.data.imageSize;
  const K = cfg.data.copies;
  return tidy(async () => {
    const trainOrig = await pool.originals(train);
    const unseenOrig = await pool.originals(unseen);
    const unseenMate = pool.secondPhotos
      ? toU8(await pool.secondPhotos(unseen))
      : copies(unseenOrig, 1, size, "unseen", seed);
    const n = train.length;
    const ids = Int32Array.from({ length: n }, (_, i) => i);
    const grp = Int32Array.from(train, (i) => pool.group[i] as number);
    const ugrp = Int32Array.from(unseen, (i) => pool.group[i] as number);
    const uid = Int32Array.from({ length: unseen.length }, (_, i) => i);
    const out: CellData = {
      groups: cfg.data.groups,
      numIdentities: n,
      train: { images: copies(trainOrig, K, size, "train", seed), identity: rep(ids, K), group: rep(grp, K) },
      calib: { images: copies(trainOrig, 1, size, "calib", seed), identity: ids, group: grp },
      test: {
        images: cat([toU8(trainOrig), copies(trainOrig, 1, size, "test", seed)], 0),
        identity: rep(ids, 2),
        group: rep(grp, 2),
        original: Uint8Array.from({ length: 2 * n }, (_, i) => +(i < n)),
      },
      unseen: {
        images: cat([toU8(unseenOrig), unseenMate], 0),
        identity: rep(uid, 2),
        group: rep(ugrp, 2),
        original: Uint8Array.from({ length: 2 * unseen.length }, (_, i) => +(i < unseen.length)),
      },
      manifest: {
        source: pool.source,
        split: split.name,
        proportions: split.proportions,
        seed,
        copies: K,
        imageSize: size,
        trainPerGroup: Object.fromEntries(cfg.data.groups.map((g, k) => [g, grp.filter((x) => x === k).length])),
        unseenPerGroup: Object.fromEntries(cfg.data.groups.map((g, k) => [g, ugrp.filter((x) => x === k).length])),
        unseenMate: pool.secondPhotos ? "second photo" : "augmented copy",
        ...(cfg.data.planted && pool.source === "synthetic" && { planted: cfg.data.planted }),
      },
    };
    return out;
  });
}

export function disposeCellData(d: CellData): void {
  for (const b of [d.train, d.calib, d.test, d.unseen]) b.images.dispose();
}

// Opens a named dataset (building its image cache when needed): the entry used by the CLI and
// the study recipes, so they share one set of names and defaults.

import { readCeleba } from "./celeba.js";
import { readCifar10 } from "./cifar.js";
import { readFfhq, readImageFolder } from "./folder.js";
import { readFashionMnist } from "./idx.js";
import { type ImageSet, UnionImageSet } from "./imageset.js";
import { DataError } from "./options.js";
import { renderSynthFaces, type SynthOptions } from "./synth.js";
import { readUtkFace } from "./utkface.js";

export const DATASETS = ["fashion-mnist", "cifar10", "utkface", "celeba", "ffhq", "folder", "synth", "pool"] as const;
export type DatasetKind = (typeof DATASETS)[number];

export interface OpenOptions {
  /** folder of the dataset (fashion-mnist defaults to Debian's path) */
  path?: string;
  /** train or test split of Fashion-MNIST / CIFAR-10 */
  split?: "train" | "test";
  /** output side for decoded images (faces: 128 like the seed; 100 for the bias study) */
  side?: number;
  crop?: "center" | "box";
  strict?: boolean;
  cacheDir?: string;
  seed?: number;
  onePerIdentity?: boolean;
  labelBy?: "gender" | "race";
  parallel?: number;
  progress?: boolean;
  synth?: Partial<SynthOptions>;
  /** for "pool": the UTKFace, FFHQ and CelebA folders (any may be omitted) */
  pool?: { utkface?: string; ffhq?: string; celeba?: string };
}

export async function openDataset(kind: string, o: OpenOptions = {}): Promise<ImageSet> {
  const need = () => {
    if (!o.path) throw new DataError(`dataset '${kind}' needs a folder (path)`);
    return o.path;
  };
  const cache = { side: o.side ?? 128, crop: o.crop, cacheDir: o.cacheDir, parallel: o.parallel, progress: o.progress };
  switch (kind) {
    case "fashion-mnist":
      return readFashionMnist(o.split ?? "train", { dir: o.path, strict: o.strict });
    case "cifar10":
      return readCifar10(need(), o.split ?? "train", { strict: o.strict });
    case "utkface":
      return readUtkFace(need(), { ...cache, strict: o.strict, labelBy: o.labelBy });
    case "celeba":
      return readCeleba(need(), { ...cache, strict: o.strict, onePerIdentity: o.onePerIdentity, seed: o.seed });
    case "ffhq":
      return readFfhq(need(), { ...cache, strict: o.strict });
    case "folder":
      return readImageFolder(need(), { ...cache, strict: o.strict });
    case "synth":
      return renderSynthFaces({
        identities: 100,
        imagesPerIdentity: 10,
        side: o.side ?? 64,
        seed: o.seed ?? 0,
        cacheDir: o.cacheDir,
        ...o.synth,
      });
    case "pool": {
      // The seed's SimCLR pool: UTKFace + FFHQ + CelebA (one image per identity), unlabeled.
      const parts: ImageSet[] = [];
      if (o.pool?.utkface) parts.push(await openDataset("utkface", { ...o, path: o.pool.utkface, labelBy: undefined }));
      if (o.pool?.ffhq) parts.push(await openDataset("ffhq", { ...o, path: o.pool.ffhq }));
      if (o.pool?.celeba) parts.push(await openDataset("celeba", { ...o, path: o.pool.celeba, onePerIdentity: true }));
      if (parts.length === 0) throw new DataError("pool needs at least one of the utkface, ffhq and celeba folders");
      return new UnionImageSet("pool", parts);
    }
    default:
      throw new DataError(`unknown dataset '${kind}'; expected one of ${DATASETS.join(", ")}`);
  }
}

/** Counts per value of label and each attribute (age bucketed by decade). */
export function datasetStats(set: ImageSet): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const bump = (k: string, v: string) => {
    out[k] ??= {};
    (out[k] as Record<string, number>)[v] = ((out[k] as Record<string, number>)[v] ?? 0) + 1;
  };
  const identities = new Set<number>();
  for (const it of set.items) {
    bump("dataset", it.dataset);
    if (it.label !== undefined) bump("label", set.classes?.[it.label] ?? String(it.label));
    if (it.identity !== undefined) identities.add(it.identity);
    for (const [k, v] of Object.entries(it.attrs ?? {})) {
      if (k === "age") bump("age", `${Math.floor(v / 10) * 10}-${Math.floor(v / 10) * 10 + 9}`);
      else if (["gender", "race", "group", "partition", "Male"].includes(k)) bump(k, String(v));
    }
  }
  if (identities.size) out.identities = { count: identities.size };
  return out;
}

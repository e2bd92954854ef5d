// facelab data prepare|stats|preview|synth: build image caches, count classes and attributes,
// look at augmentations, and render the synthetic face set.
import { resolve } from "node:path";
import type { Command } from "commander";
import { augment, faceStudy, simclrCifar, simclrLarge, toFloatImages } from "../../data/augment/index.js";
import { type ImageSet, labelsOf } from "../../data/imageset.js";
import { DATASETS, datasetStats, type OpenOptions, openDataset } from "../../data/open.js";
import { dataCounts } from "../../data/options.js";
import { writeGrid } from "../../data/preview.js";
import { formatSplitCounts, stratifiedSplit } from "../../data/splits.js";
import { fromTypedArray, tidy } from "../../torch/index.js";

interface CommonFlags {
  side?: string;
  crop?: "center" | "box";
  cache?: string;
  lenient?: boolean;
  strict?: boolean;
  split?: "train" | "test";
  seed: string;
  onePerIdentity?: boolean;
  labelBy?: "gender" | "race";
  parallel?: string;
  identities?: string;
  perIdentity?: string;
  genderP?: string;
  groupProbs?: string;
  groupSpread?: string;
  utkface?: string;
  ffhq?: string;
  celeba?: string;
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
  return n;
};
const PATH_HELP =
  "dataset folder (fashion-mnist: plain or gzip IDX files; default $FACELAB_FASHION_MNIST or Debian's /usr/share/datasets/fashion-mnist)";
const list = (v: string | undefined, name: string) => v?.split(",").map((x) => num(x, name) as number);

function common(cmd: Command): Command {
  return cmd
    .option("--side <px>", "decoded image side (faces: 128; synth: 64)")
    .option("--crop <mode>", "center or box (face box from the entries)")
    .option("--cache <dir>", "image cache folder (default $FACELAB_CACHE or ./.cache/images)")
    .option("--strict", "stop at the first bad file or record (the default except for utkface)")
    .option("--lenient", "skip bad files and records, counting them (skipped_invalid, refused)")
    .option("--split <name>", "train or test (fashion-mnist, cifar10)")
    .option("--seed <n>", "seed", "0")
    .option("--one-per-identity", "celeba: keep one random image per identity")
    .option("--label-by <attr>", "utkface: gender or race as the label")
    .option("--parallel <n>", "decodes in flight")
    .option("--identities <n>", "synth: number of people")
    .option("--per-identity <n>", "synth: images per person")
    .option("--gender-p <p>", "synth: share of gender-like attribute 1")
    .option("--group-probs <list>", "synth: 5 group proportions, e.g. 4,1,1,1,1")
    .option("--group-spread <list>", "synth: 5 between-identity spreads, e.g. 1,1,0.3,1,1")
    .option("--utkface <dir>", "pool: UTKFace folder")
    .option("--ffhq <dir>", "pool: FFHQ folder")
    .option("--celeba <dir>", "pool: CelebA folder");
}

function strictness(f: CommonFlags): boolean | undefined {
  if (f.strict && f.lenient) throw new Error("--strict and --lenient exclude each other; give one");
  return f.strict ? true : f.lenient ? false : undefined;
}

function openOptions(path: string | undefined, f: CommonFlags): OpenOptions {
  const synth = {
    ...(f.identities && { identities: num(f.identities, "identities") }),
    ...(f.perIdentity && { imagesPerIdentity: num(f.perIdentity, "per-identity") }),
    ...(f.genderP && { genderP: num(f.genderP, "gender-p") }),
    ...(f.groupProbs && { groupProbs: list(f.groupProbs, "group-probs") }),
    ...(f.groupSpread && { groupSpread: list(f.groupSpread, "group-spread") }),
  };
  return {
    path: path && resolve(path),
    split: f.split,
    side: num(f.side, "side"),
    crop: f.crop,
    strict: strictness(f),
    cacheDir: f.cache && resolve(f.cache),
    seed: num(f.seed, "seed"),
    onePerIdentity: f.onePerIdentity,
    labelBy: f.labelBy,
    parallel: num(f.parallel, "parallel"),
    synth,
    pool: {
      utkface: f.utkface && resolve(f.utkface),
      ffhq: f.ffhq && resolve(f.ffhq),
      celeba: f.celeba && resolve(f.celeba),
    },
  };
}

/** The set, its cache, the counts of #14 (loaded, skipped_invalid, refused, ignored) and the first problems. */
function summary(set: ImageSet): void {
  console.log(`${set.name}: ${set.count} images of ${set.height}×${set.width}×${set.channels}`);
  if ("dir" in set) console.log(`cache: ${(set as { dir: string }).dir}`);
  const c = dataCounts(set);
  console.log(
    `counts: loaded=${c.loaded} skipped_invalid=${c.skipped_invalid} refused=${c.refused} ignored=${c.ignored}` +
      (c.warnings ? ` warnings=${c.warnings}` : ""),
  );
  const shown = set.skipped.filter((s) => s.kind !== "ignored");
  for (const s of shown.slice(0, 10))
    console.log(
      `  ${s.kind ?? "invalid"}: ${s.source}: ${s.reason}${s.count && s.count > 1 ? ` (${s.count} items)` : ""}`,
    );
  if (shown.length > 10) console.log(`  … and ${shown.length - 10} more`);
}

export function register(program: Command): void {
  const data = program
    .command("data")
    .description("datasets: caches, statistics, augmentation previews, synthetic faces");
  const kinds = DATASETS.join("|");

  common(data.command("prepare").argument("<dataset>", kinds).argument("[path]", PATH_HELP))
    .description("decode a dataset once into the uint8 image cache (reused while inputs and settings are unchanged)")
    .action(async (kind: string, path: string | undefined, f: CommonFlags) => {
      summary(await openDataset(kind, openOptions(path, f)));
    });

  common(data.command("stats").argument("<dataset>", kinds).argument("[path]", PATH_HELP))
    .description("counts per class and attribute; with --fractions, a stratified split's class counts")
    .option("--fractions <list>", "e.g. 0.3,0.7 (fine-tune / validate, like the seed)")
    .option("--by <key>", "label, or an attribute such as race or gender", "label")
    .action(async (kind: string, path: string | undefined, f: CommonFlags & { fractions?: string; by: string }) => {
      const set = await openDataset(kind, openOptions(path, f));
      summary(set);
      for (const [k, counts] of Object.entries(datasetStats(set)))
        console.log(
          `${k}: ${Object.entries(counts)
            .map(([v, n]) => `${v}=${n}`)
            .join("  ")}`,
        );
      if (f.fractions) {
        const fr = list(f.fractions, "fractions") as number[];
        const names = fr.length === 2 ? ["finetune", "validate"] : fr.map((_, i) => `split${i}`);
        const s = stratifiedSplit(
          labelsOf(set, f.by),
          Object.fromEntries(names.map((n, i) => [n, fr[i] as number])),
          Number(f.seed),
        );
        console.log(formatSplitCounts(s, f.by === "label" ? set.classes : undefined));
      }
    });

  common(data.command("preview").argument("[dataset]", kinds, "synth").argument("[path]", "dataset folder"))
    .description("write a PNG grid: originals in the first row, augmented views below")
    .option("--augment <set>", "simclr | simclr-large | face", "simclr")
    .option("-n, --count <n>", "images (columns)", "8")
    .option("--views <n>", "augmented rows", "3")
    .option("--size <px>", "augmentation output side (default: the images' side)")
    .option("--zoom <k>", "pixel zoom in the PNG", "2")
    .option("-o, --out <file>", "PNG path", "preview.png")
    .action(
      async (
        kind: string,
        path: string | undefined,
        f: CommonFlags & { augment: string; count: string; views: string; size?: string; zoom: string; out: string },
      ) => {
        const set = await openDataset(kind, openOptions(path, f));
        const n = Math.min(set.count, num(f.count, "count") as number);
        const size = num(f.size, "size") ?? set.height;
        const presets: Record<string, () => ReturnType<typeof simclrCifar> | ReturnType<typeof faceStudy>> = {
          simclr: () => (size <= 48 ? simclrCifar(size) : simclrLarge(size)),
          "simclr-large": () => simclrLarge(size),
          face: () => faceStudy(size),
        };
        const make = presets[f.augment];
        if (!make) throw new Error(`--augment must be simclr, simclr-large or face, got '${f.augment}'`);
        const cfg = make();
        const step = Math.max(1, Math.floor(set.count / n));
        const idx = Array.from({ length: n }, (_, i) => i * step);
        const px = await set.read(idx);
        await tidy(async () => {
          const x = toFloatImages(fromTypedArray(px, [n, set.height, set.width, set.channels]));
          const views = Array.from({ length: num(f.views, "views") as number }, (_, v) =>
            augment(x, cfg, { seed: Number(f.seed) * 1000 + v }),
          );
          await writeGrid(resolve(f.out), [x, ...views], { zoom: num(f.zoom, "zoom") });
        });
        console.log(`wrote ${resolve(f.out)} (${n} images × ${f.views} ${f.augment} views)`);
      },
    );

  common(data.command("synth"))
    .description("render (and cache) a synthetic face set; optionally write a preview grid")
    .option("-o, --out <file>", "also write a PNG grid of the first identities")
    .action(async (f: CommonFlags & { out?: string }) => {
      const t0 = performance.now();
      const set = await openDataset("synth", openOptions(undefined, f));
      summary(set);
      console.log(`rendered or loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      for (const [k, counts] of Object.entries(datasetStats(set)))
        console.log(
          `${k}: ${Object.entries(counts)
            .map(([v, n]) => `${v}=${n}`)
            .join("  ")}`,
        );
      if (f.out) {
        const per = set.items.filter((it) => it.identity === 0).length;
        const rows = Math.min(6, Math.floor(set.count / per));
        await tidy(async () => {
          const batches = [];
          for (let r = 0; r < rows; r++) {
            const px = await set.read(Array.from({ length: Math.min(per, 10) }, (_, k) => r * per + k));
            batches.push(toFloatImages(fromTypedArray(px, [Math.min(per, 10), set.height, set.width, 3])));
          }
          await writeGrid(resolve(f.out as string), batches, { zoom: 2 });
        });
        console.log(`wrote ${resolve(f.out)}`);
      }
    });
}

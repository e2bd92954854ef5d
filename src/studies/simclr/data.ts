// Data for the SimCLR recipes: an unlabeled pretraining pool and labelled tasks (training pool + validation),
// all as uint8 N×C×H×W tensors at the recipe's image size.
//   fashion-mnist / cifar10: pool = training images; task "label": train split labels, test split validation.
//   faces: pool = UTKFace ∪ FFHQ ∪ CelebA (one image per identity) — any subset of folders present;
//          tasks "gender" / "race" from UTKFace file names, split stratified trainSplit / rest (seed: 30/70).
//   synthetic-faces: the same study on generated faces, no external data (src/data/synth.ts renderUtkLikeFaces).
import { existsSync } from "node:fs";
import { readCeleba } from "../../data/celeba.js";
import { CIFAR10_CLASSES, readCifar10 } from "../../data/cifar.js";
import { readFfhq } from "../../data/folder.js";
import { FASHION_MNIST_CLASSES, readFashionMnist } from "../../data/idx.js";
import { type ImageSet, labelsOf } from "../../data/imageset.js";
import { DataError } from "../../data/options.js";
import { deriveSeed, Rng } from "../../data/rng.js";
import { stratifiedSplit } from "../../data/splits.js";
import { renderUtkLikeFaces } from "../../data/synth.js";
import { readUtkFace, UTK_GENDERS, UTK_RACES } from "../../data/utkface.js";
import type { LabelledTask } from "../../methods/evaluate.js";
import { nhwcToTensor, take } from "../../methods/features.js";
import type { SimclrConfig } from "../../methods/simclr-config.js";
import { cat, F, keep, type Tensor, tidy } from "../../torch/index.js";

export interface SimclrData {
  pool: Tensor;
  tasks: LabelledTask[];
  channels: number;
  size: number;
  /** images per source in the pool, for the summary */
  poolSources: Record<string, number>;
  dispose(): void;
}

/** Resizes a uint8 N×C×H×W tensor to size×size (area-averaging when shrinking), kept. */
function resized(t: Tensor, size: number): Tensor {
  if (t.shape[2] === size && t.shape[3] === size) return t;
  const out = keep(
    tidy(() => {
      const parts: Tensor[] = [];
      const n = t.shape[0]!;
      for (let s = 0; s < n; s += 4096) {
        const x = t.narrow(0, s, Math.min(4096, n - s)).float();
        const shrink = size < t.shape[2]!;
        parts.push(
          (shrink ? F.adaptiveAvgPool2d(x, [size, size]) : F.interpolate(x, { size: [size, size], mode: "bilinear" }))
            .round()
            .clamp(0, 255)
            .to("uint8"),
        );
      }
      return cat(parts);
    }),
  );
  t.dispose();
  return out;
}

/** All (or the first `limit`, drawn at random with `seed`) images of a set as a kept tensor. */
async function setToTensor(set: ImageSet, limit: number, seed: number): Promise<{ t: Tensor; idx: Int32Array }> {
  let idx = Int32Array.from({ length: set.count }, (_, i) => i);
  if (limit > 0 && limit < set.count) idx = new Rng(seed).permutation(set.count).slice(0, limit).sort();
  const bytes = await set.read(idx);
  return { t: nhwcToTensor(bytes, idx.length, set.height, set.width, set.channels), idx };
}

const pick = <T>(a: ArrayLike<T>, idx: Int32Array) => Array.from(idx, (i) => a[i]!);

async function benchmark(cfg: SimclrConfig): Promise<SimclrData> {
  const d = cfg.data;
  const size = d.imageSize;
  const read = (split: "train" | "test") =>
    d.dataset === "fashion-mnist"
      ? readFashionMnist(split, d.root ? { dir: d.root } : {})
      : readCifar10(requireRoot(d.root), split);
  const classes = d.dataset === "fashion-mnist" ? FASHION_MNIST_CLASSES : CIFAR10_CLASSES;
  const train = read("train");
  const test = read("test");
  const all = await setToTensor(train, 0, 0);
  const allImages = resized(all.t, size);
  const labels = labelsOf(train);
  // Pool: pretrainLimit images drawn at random; the labelled pool: labelledLimit drawn stratified.
  const poolIdx =
    d.pretrainLimit > 0 && d.pretrainLimit < train.count
      ? new Rng(deriveSeed(cfg.seed, 0x9001)).permutation(train.count).slice(0, d.pretrainLimit)
      : undefined;
  const pool = poolIdx ? keep(take(allImages, poolIdx)) : allImages;
  const labIdx =
    d.labelledLimit > 0 && d.labelledLimit < train.count
      ? stratifiedSplit(
          labels,
          { keep: d.labelledLimit / train.count, rest: 1 - d.labelledLimit / train.count },
          cfg.seed,
        ).indices[0]!
      : Int32Array.from(labels.keys());
  const trainImages = keep(take(allImages, labIdx));
  if (poolIdx) allImages.dispose();
  const v = await setToTensor(test, d.evalLimit, deriveSeed(cfg.seed, 0x9002));
  const valImages = resized(v.t, size);
  const task: LabelledTask = {
    name: "label",
    classNames: classes,
    train: { images: trainImages, labels: Int32Array.from(pick(labels, labIdx)) },
    val: { images: valImages, labels: Int32Array.from(pick(labelsOf(test), v.idx)) },
  };
  return {
    pool,
    tasks: [task],
    channels: train.channels,
    size,
    poolSources: { [d.dataset]: pool.shape[0]! },
    dispose: () => {
      for (const t of new Set([pool, trainImages, valImages])) t.dispose();
    },
  };
}

function requireRoot(root: string | undefined): string {
  if (!root)
    throw new DataError("data.root must name the dataset folder (e.g. --set data.root=/data/cifar-10-batches-bin)");
  if (!existsSync(root)) throw new DataError(`data.root ${root} does not exist`);
  return root;
}

async function faces(cfg: SimclrConfig): Promise<SimclrData> {
  const d = cfg.data;
  const side = d.imageSize;
  const opts = { side, crop: "center" as const, channels: 3 as const };
  if (!d.utkface) throw new DataError("the faces recipe needs data.utkface (labels for gender and race come from it)");
  const utk = await readUtkFace(requireRoot(d.utkface), opts);
  const sources: [string, ImageSet][] = [["utkface", utk]];
  if (d.ffhq) sources.push(["ffhq", await readFfhq(requireRoot(d.ffhq), opts)]);
  if (d.celeba)
    sources.push([
      "celeba",
      await readCeleba(requireRoot(d.celeba), { ...opts, onePerIdentity: true, seed: cfg.seed }),
    ]);
  const parts = [];
  const poolSources: Record<string, number> = {};
  for (const [name, set] of sources) {
    const per = d.pretrainLimit > 0 ? Math.ceil(d.pretrainLimit / sources.length) : 0;
    const p = await setToTensor(set, per, deriveSeed(cfg.seed, name.length));
    parts.push(p.t);
    poolSources[name] = p.idx.length;
  }
  const pool = keep(cat(parts));
  for (const p of parts) p.dispose();
  const all = await setToTensor(utk, 0, 0);
  const attrs = utk.items.map((it) => it.attrs ?? {});
  const tasks = labelledFaceTasks(cfg, all.t, attrs, { gender: UTK_GENDERS, race: UTK_RACES });
  all.t.dispose();
  return { pool, tasks, channels: 3, size: side, poolSources, dispose: () => disposeAll(pool, tasks) };
}

/** Splits labelled faces per task: stratified trainSplit for fine-tuning, the rest for validation. */
export function labelledFaceTasks(
  cfg: SimclrConfig,
  images: Tensor,
  attrs: Record<string, number>[],
  classNames: Record<string, readonly string[]>,
): LabelledTask[] {
  return cfg.evaluate.tasks.map((name) => {
    const names = classNames[name];
    if (!names) throw new DataError(`unknown face task '${name}' (known: ${Object.keys(classNames).join(", ")})`);
    const labels = Int32Array.from(attrs, (a) => a[name] ?? -1);
    const ok = Int32Array.from(labels.keys()).filter((i) => labels[i]! >= 0 && labels[i]! < names.length);
    const s = stratifiedSplit(
      Array.from(ok, (i) => labels[i]!),
      { train: cfg.evaluate.trainSplit, val: 1 - cfg.evaluate.trainSplit },
      deriveSeed(cfg.seed, name.length, 0x7a5c),
      { classNames: names },
    );
    const tr = s.indices[0]!.map((k) => ok[k]!);
    let va = s.indices[1]!.map((k) => ok[k]!);
    if (cfg.data.evalLimit > 0 && va.length > cfg.data.evalLimit) va = va.slice(0, cfg.data.evalLimit);
    return {
      name,
      classNames: names,
      train: { images: keep(take(images, tr)), labels: Int32Array.from(tr, (i) => labels[i]!) },
      val: { images: keep(take(images, va)), labels: Int32Array.from(va, (i) => labels[i]!) },
    };
  });
}

function disposeAll(pool: Tensor, tasks: LabelledTask[]): void {
  pool.dispose();
  for (const t of tasks) {
    t.train.images.dispose();
    t.val.images.dispose();
  }
}

async function synthetic(cfg: SimclrConfig): Promise<SimclrData> {
  const d = cfg.data;
  const g = await renderUtkLikeFaces(d.syntheticCount, d.imageSize, cfg.seed);
  const all = await setToTensor(g.set, 0, 0);
  const tasks = labelledFaceTasks(cfg, all.t, g.attrs, g.classNames);
  const poolN = d.pretrainLimit > 0 ? Math.min(d.pretrainLimit, all.t.shape[0]!) : all.t.shape[0]!;
  const pool = keep(tidy(() => all.t.narrow(0, 0, poolN).clone()));
  all.t.dispose();
  return {
    pool,
    tasks,
    channels: 3,
    size: d.imageSize,
    poolSources: { "synthetic-faces": poolN },
    dispose: () => disposeAll(pool, tasks),
  };
}

export async function loadSimclrData(cfg: SimclrConfig): Promise<SimclrData> {
  switch (cfg.data.dataset) {
    case "fashion-mnist":
    case "cifar10":
      return benchmark(cfg);
    case "faces":
      return faces(cfg);
    case "synthetic-faces":
      return synthetic(cfg);
  }
}

// `facelab train`: a classifier with an embedding layer and any loss head by name, on Fashion-MNIST,
// CIFAR-10 or synthetic face identities, into a run directory with loss curves, accuracy per epoch
// and a confusion matrix. The seed's CIFAR-10 numbers (Ring loss 79.4%, A-Softmax 72.4%, ResNet-50)
// are the bar the CIFAR recipes state in `expect`; the run says whether it met it.
import { join } from "node:path";
import { z } from "zod";
import { augment, type FaceConfig } from "../../data/augment/index.js";
import { readCifar10 } from "../../data/cifar.js";
import { FASHION_MNIST_CLASSES, readFashionMnist } from "../../data/idx.js";
import type { MemoryImageSet } from "../../data/imageset.js";
import { Rng } from "../../data/rng.js";
import { renderSynthFaces } from "../../data/synth.js";
import { confusionMatrix } from "../../eval/classification.js";
import { LossConfigSchema } from "../../losses/index.js";
import { copyCheckpoints, SimclrCheckpoints } from "../../methods/checkpoint.js";
import { computeFields } from "../../methods/compute.js";
import { createRecognizer } from "../../methods/recognition/recognizer.js";
import { embedAll, trainRecognizer } from "../../methods/recognition/train.js";
import { faceRecModelSchema } from "../../models/facerec.js";
import { EpochProgress, Run } from "../../runs/index.js";
import { setupCompute } from "../../torch/device.js";
import {
  destroyProcessGroup,
  initProcessGroup,
  isInitialized,
  isLaunched,
  isMainProcess,
} from "../../torch/distributed/index.js";
import { F, fromTypedArray, manualSeed, type Tensor, tensor, tidy } from "../../torch/index.js";
import { serialize } from "../../torch/safetensors.js";
import { TRAIN_CHART_IDS, trainSummary } from "./report.js";

export const trainConfigSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/),
  description: z.string().optional(),
  ...computeFields,
  data: z.strictObject({
    dataset: z.enum(["fashion-mnist", "cifar10", "synthetic-faces"]),
    /** Dataset folder (Fashion-MNIST defaults to Debian's; CIFAR-10 needs the binary version's folder). */
    dir: z.string().optional(),
    /** Use only the first n training / test images (after a seeded shuffle), for quick runs. */
    trainLimit: z.number().int().positive().optional(),
    testLimit: z.number().int().positive().optional(),
    /** synthetic-faces: identities, photos per identity (half train, half test), side. */
    identities: z.number().int().min(2).default(50),
    imagesPerIdentity: z.number().int().min(2).default(8),
    imageSize: z.number().int().min(8).default(32),
    /** Fashion-MNIST / CIFAR-10: resize to this side once after loading (bilinear), e.g. 32 for 28 px (issue #15). */
    resize: z.number().int().min(8).optional(),
  }),
  model: faceRecModelSchema,
  loss: LossConfigSchema,
  train: z
    .strictObject({
      epochs: z.number().int().min(1).default(10),
      batchSize: z.number().int().min(2).default(128),
      lr: z.number().positive().default(0.1),
      momentum: z.number().min(0).max(1).default(0.9),
      weightDecay: z.number().min(0).default(5e-4),
      warmupEpochs: z.number().min(0).default(1),
      clipGradNorm: z.number().positive().optional(),
      /** Random resized crop (area 0.7–1) and horizontal flip of each training batch; "flip" = flip only. */
      augment: z.union([z.boolean(), z.literal("flip")]).default(true),
      seed: z.number().int().min(0).default(0),
      /** Under `facelab launch`: BatchNorm statistics over the global batch (SyncBatchNorm); no effect in one process. */
      syncBatchNorm: z.boolean().default(false),
    })
    .prefault({}),
  /** The accuracy the recipe claims to reach (e.g. the seed's 0.794 for Ring loss on CIFAR-10). */
  expect: z.strictObject({ minAccuracy: z.number().min(0).max(1), source: z.string() }).optional(),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

interface Split {
  images: Tensor;
  labels: Tensor;
}
interface Loaded {
  train: Split;
  test: Split;
  classes: string[];
}

/** NHWC uint8 set → (N,C,H,W) uint8 tensor and int64 labels, optionally a seeded subset. */
function toSplit(set: MemoryImageSet, limit: number | undefined, seed: number, labelOf: (i: number) => number): Split {
  const n = set.count;
  let idx = Array.from({ length: n }, (_, i) => i);
  if (limit !== undefined && limit < n)
    idx = (new Rng(seed + 1).shuffle(idx) as number[]).slice(0, limit).sort((a, b) => a - b);
  const px = set.readSync(idx);
  return tidy(() => ({
    images: fromTypedArray(px, [idx.length, set.height, set.width, set.channels]).permute(0, 3, 1, 2).contiguous(),
    labels: tensor(
      idx.map((i) => labelOf(i)),
      { dtype: "int64" },
    ),
  }));
}

/** A split's uint8 images resized to side×side once (bilinear, as the reference's 28 → 32 px); the old tensor is freed. */
function resized(s: Split, side: number | undefined): Split {
  if (side === undefined || (s.images.shape[2] === side && s.images.shape[3] === side)) return s;
  const images = tidy(() =>
    F.interpolate(s.images.float(), { size: [side, side], mode: "bilinear" })
      .round()
      .clamp(0, 255)
      .to("uint8"),
  );
  s.images.dispose();
  return { images, labels: s.labels };
}

export async function loadTrainData(cfg: TrainConfig): Promise<Loaded> {
  const d = cfg.data;
  const seed = cfg.train.seed;
  if (d.dataset === "fashion-mnist") {
    const tr = readFashionMnist("train", { dir: d.dir });
    const te = readFashionMnist("test", { dir: d.dir });
    const lab = (s: MemoryImageSet) => (i: number) => s.items[i]?.label as number;
    return {
      train: resized(toSplit(tr, d.trainLimit, seed, lab(tr)), d.resize),
      test: resized(toSplit(te, d.testLimit, seed, lab(te)), d.resize),
      classes: [...FASHION_MNIST_CLASSES],
    };
  }
  if (d.dataset === "cifar10") {
    if (!d.dir) throw new Error("data.dir: CIFAR-10 needs the folder of the binary version (cifar-10-batches-bin)");
    const tr = readCifar10(d.dir, "train");
    const te = readCifar10(d.dir, "test");
    const lab = (s: MemoryImageSet) => (i: number) => s.items[i]?.label as number;
    return {
      train: resized(toSplit(tr, d.trainLimit, seed, lab(tr)), d.resize),
      test: resized(toSplit(te, d.testLimit, seed, lab(te)), d.resize),
      classes: [...(tr.classes ?? [])],
    };
  }
  // Synthetic face identities: each person's photos split half for training, half for testing.
  const set = (await renderSynthFaces({
    identities: d.identities,
    imagesPerIdentity: d.imagesPerIdentity,
    side: d.imageSize,
    seed,
  })) as MemoryImageSet;
  const half = Math.floor(d.imagesPerIdentity / 2);
  const pick = (test: boolean) => set.items.flatMap((_, i) => (i % d.imagesPerIdentity >= half === test ? [i] : []));
  const sub = async (idx: number[]) => {
    const px = await set.read(idx);
    return tidy(() => ({
      images: fromTypedArray(px, [idx.length, d.imageSize, d.imageSize, 3]).permute(0, 3, 1, 2).contiguous(),
      labels: tensor(
        idx.map((i) => set.items[i]?.identity as number),
        { dtype: "int64" },
      ),
    }));
  };
  return {
    train: await sub(pick(false)),
    test: await sub(pick(true)),
    classes: Array.from({ length: d.identities }, (_, i) => `id${i}`),
  };
}

/** Crop (area minArea–1; 1 = flip only) + flip on a [−1,1] batch, through the data layer's batched augmentation. */
function cropFlip(size: number, minArea: number): (x: Tensor, step: number) => Tensor {
  const cfg: FaceConfig = {
    kind: "face",
    size,
    scale: [minArea, 1],
    ratio: minArea === 1 ? [1, 1] : [3 / 4, 4 / 3],
    flipP: 0.5,
    blur: null,
    downscale: null,
    dropout: null,
    brightnessContrast: null,
    hueSaturation: null,
    noise: null,
    normalize: null,
  };
  return (x, step) => augment(x.add(1).div(2), cfg, { seed: step }).mul(2).sub(1);
}

export interface TrainRunResult {
  /** The run directory ("" on data-parallel workers other than rank 0, which write nothing). */
  dir: string;
  /** NaN on workers other than rank 0 (evaluation runs on rank 0). */
  testAccuracy: number;
  metExpectation?: boolean;
  /** False on data-parallel workers other than rank 0. */
  main: boolean;
  /** Set when `stopAfterEpoch` stopped training early (nothing evaluated; resume from `dir`). */
  stoppedAfterEpoch?: number;
}

export interface TrainRunOptions {
  runsRoot: string;
  argv?: string[];
  /** A killed run's directory: continue from its latest checkpoint into a new run directory. */
  resumeFrom?: string;
  /** Stop (as if killed) after this epoch, leaving a checkpoint to resume from. */
  stopAfterEpoch?: number;
}

/**
 * Trains and evaluates one config into a run directory. Under `facelab launch` it initialises the
 * process group (unless the caller did), trains data-parallel (trainRecognizer), and only rank 0
 * creates the run directory, logs, evaluates and saves the checkpoint.
 */
export async function runTraining(cfg: TrainConfig, o: TrainRunOptions): Promise<TrainRunResult> {
  const ownGroup = isLaunched() && !isInitialized();
  if (ownGroup) await initProcessGroup();
  try {
    return await trainAndEvaluate(cfg, o);
  } finally {
    if (ownGroup) await destroyProcessGroup();
  }
}

async function trainAndEvaluate(cfg: TrainConfig, o: TrainRunOptions): Promise<TrainRunResult> {
  const compute = setupCompute(cfg); // device: cuda without CUDA fails here, before any run directory (#11)
  const data = await loadTrainData(cfg);
  const main = isMainProcess();
  const run = main ? await Run.create({ root: o.runsRoot, name: cfg.name, config: cfg, argv: o.argv }) : undefined;
  // Every epoch is checkpointed (model, optimizer, history; the last two kept) so a killed run resumes
  // exactly; rank 0 resumes from its copy of the old run's files, other workers read them in place.
  const store = run
    ? new SimclrCheckpoints(join(run.dir, "checkpoints"), 2)
    : o.resumeFrom
      ? new SimclrCheckpoints(join(o.resumeFrom, "checkpoints"))
      : undefined;
  if (run && o.resumeFrom) copyCheckpoints(o.resumeFrom, run.checkpoints.dir);
  const body = async (): Promise<TrainRunResult> => {
    manualSeed(cfg.train.seed);
    const [, channels, size] = data.train.images.shape as [number, number, number, number];
    const model = createRecognizer({
      ...cfg.model,
      inChannels: channels,
      numClasses: data.classes.length,
      loss: cfg.loss,
    });
    const disposeAll = () => {
      model.dispose();
      for (const s of [data.train, data.test]) {
        s.images.dispose();
        s.labels.dispose();
      }
    };
    const steps = Math.max(1, Math.floor((data.train.images.shape[0] as number) / cfg.train.batchSize));
    let bar: EpochProgress | undefined;
    const curve: { x: number; y: number; series: string }[] = [];
    const evaluate = () =>
      tidy(() => {
        const { logits } = embedAll(model, data.test.images);
        const pred = logits.argmax(1).toNumbers();
        const truth = data.test.labels.toNumbers();
        return { pred, truth, accuracy: pred.filter((p, i) => p === truth[i]).length / truth.length };
      });
    const history = await trainRecognizer(model, data.train, {
      ...cfg.train,
      compute,
      checkpoints: store,
      resume: o.resumeFrom !== undefined,
      stopAfterEpoch: o.stopAfterEpoch,
      augment: cfg.train.augment ? cropFlip(size, cfg.train.augment === "flip" ? 1 : 0.7) : undefined,
      onStep: (s) => {
        if (!run) return;
        if (s.step % steps === 0)
          bar = new EpochProgress({ epoch: s.epoch + 1, epochs: cfg.train.epochs, total: steps, label: cfg.loss.name });
        bar?.tick(s.batchSize, s.loss);
        if (s.step % 10 === 0) run.log("train/step_loss", s.loss, { step: s.step, epoch: s.epoch + 1 });
      },
      onEpoch: (e) => {
        if (!run) return;
        bar?.stop();
        const acc = evaluate().accuracy;
        run.logAll(
          { "train/loss": e.loss, "train/accuracy": e.trainAccuracy, "test/accuracy": acc, "train/lr": e.lr },
          { step: e.epoch, epoch: e.epoch },
        );
        curve.push({ x: e.epoch, y: e.loss, series: "train loss" });
        if (process.env.FACELAB_QUIET !== "1")
          console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%`);
      },
    });
    if (!run) {
      disposeAll();
      return { dir: "", testAccuracy: Number.NaN, main: false };
    }
    // Epochs restored from the checkpoint were logged by the killed run; their training curve is
    // repeated here so this run's metrics and loss chart hold the whole run.
    const restored = history.slice(0, history.length - curve.length);
    for (const e of restored)
      run.logAll(
        { "train/loss": e.loss, "train/accuracy": e.trainAccuracy, "train/lr": e.lr },
        { step: e.epoch, epoch: e.epoch },
      );
    curve.unshift(...restored.map((e) => ({ x: e.epoch, y: e.loss, series: "train loss" })));
    if (history.length < cfg.train.epochs) {
      const done = history.length;
      run.finish({
        name: cfg.name,
        stoppedAfterEpoch: done,
        epochs: cfg.train.epochs,
        ...(o.resumeFrom && { resumedFrom: o.resumeFrom }),
      });
      disposeAll();
      return { dir: run.dir, testAccuracy: Number.NaN, main: true, stoppedAfterEpoch: done };
    }
    const final = evaluate();
    run.chart({
      kind: "loss",
      id: TRAIN_CHART_IDS.loss,
      title: `Training loss, ${cfg.loss.name}`,
      xTitle: "epoch",
      data: curve,
    });
    run.chart({
      kind: "confusion",
      id: TRAIN_CHART_IDS.confusion,
      title: `Confusion matrix (test accuracy ${(100 * final.accuracy).toFixed(1)}%)`,
      data: { classes: data.classes, matrix: confusionMatrix(final.truth, final.pred, data.classes.length) },
    });
    const met = cfg.expect ? final.accuracy >= cfg.expect.minAccuracy : undefined;
    run.finish(trainSummary(cfg, final, data.classes, data.train.images.shape[0] as number));
    // Final weights as safetensors with PyTorch state_dict names (backbone.*, embedding.*, bn.*, head.*).
    const sd = model.stateDict();
    run.checkpoints.save(cfg.train.epochs, serialize(sd, { loss: cfg.loss.name, dataset: cfg.data.dataset }));
    for (const t of sd.values()) t.dispose();
    disposeAll();
    return {
      dir: run.dir,
      testAccuracy: final.accuracy,
      ...(met !== undefined && { metExpectation: met }),
      main: true,
    };
  };
  return run ? run.execute(body) : body();
}

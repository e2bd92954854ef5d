// One bias-study cell: build the split's data, train a recognizer with the cell's loss and seed,
// evaluate it, and reduce it to per-group metrics. Training curves go to a run directory under
// <study>/cells/ (metrics.jsonl + TensorBoard events) through src/runs.
import { join } from "node:path";
import { UTK_GENDERS, UTK_RACES } from "../../data/utkface.js";
import { createRecognizer } from "../../methods/recognition/recognizer.js";
import { trainRecognizer } from "../../methods/recognition/train.js";
import { Run } from "../../runs/index.js";
import { setupCompute } from "../../torch/device.js";
import { manualSeed, type Tensor, tensor, tidy } from "../../torch/index.js";
import type { BiasConfig, Cell } from "./config.js";
import { focusGroup } from "./config.js";
import { buildCellData, disposeCellData, type FacePool, syntheticPool } from "./data.js";
import { evaluateCell } from "./evaluate.js";
import { cellMetrics } from "./metrics.js";
import type { CellRecord } from "./results.js";

export interface CellContext {
  studyDir: string;
  configHash: string;
  log: (msg: string) => void;
}

/** Trains and evaluates one cell; the default is cell.ts's runCell (injectable for tests). */
export type CellRunner = (cell: Cell, cfg: BiasConfig, ctx: CellContext) => Promise<CellRecord>;

/** UTKFace decoded once per process and size (the cache on disk makes later processes fast too). */
const utkPools = new Map<string, Promise<FacePool>>();

export function dataSource(cfg: BiasConfig): "utkface" | "synthetic" {
  if (cfg.data.source === "auto") return cfg.data.utkfaceDir ? "utkface" : "synthetic";
  if (cfg.data.source === "utkface" && !cfg.data.utkfaceDir)
    throw new Error('data.source is "utkface" but data.utkfaceDir is not set');
  return cfg.data.source;
}

async function utkPool(cfg: BiasConfig): Promise<FacePool> {
  const dir = cfg.data.utkfaceDir as string;
  const attr = cfg.data.attribute;
  if (attr !== "gender" && attr !== "race") throw new Error(`UTKFace has attributes gender and race, not "${attr}"`);
  const names: readonly string[] = attr === "gender" ? UTK_GENDERS : UTK_RACES;
  const wanted = cfg.data.groups.map((g) => {
    const k = names.findIndex((n) => n.toLowerCase() === g.toLowerCase());
    if (k < 0) throw new Error(`data.groups: "${g}" is not a UTKFace ${attr} (${names.join(", ")})`);
    return k;
  });
  const { readUtkFace } = await import("../../data/utkface.js");
  const set = await readUtkFace(dir, { side: cfg.data.imageSize, crop: "center" });
  const S = cfg.data.imageSize;
  return {
    source: "utkface",
    group: Int32Array.from(set.items, (it) => wanted.indexOf(it.attrs?.[attr] ?? -1)),
    originals: async (idx) => {
      const px = await set.read(idx);
      // N×H×W×C uint8 → (N,3,S,S) float in [0,1]
      return tidy(() =>
        tensor(px, { dtype: "uint8" }).view(idx.length, S, S, 3).permute(0, 3, 1, 2).float().div(255).contiguous(),
      );
    },
  };
}

function poolFor(cfg: BiasConfig, seed: number): Promise<FacePool> {
  if (dataSource(cfg) === "synthetic") return syntheticPool(cfg, seed);
  const key = `${cfg.data.utkfaceDir}|${cfg.data.imageSize}|${cfg.data.attribute}|${cfg.data.groups.join(",")}`;
  let p = utkPools.get(key);
  if (!p) {
    p = utkPool(cfg);
    utkPools.set(key, p);
  }
  return p;
}

const ids = (a: Int32Array): Tensor => tensor(Array.from(a), { dtype: "int64" });

export async function runCell(cell: Cell, cfg: BiasConfig, ctx: CellContext): Promise<CellRecord> {
  const t0 = performance.now();
  const pool = await poolFor(cfg, cell.seed);
  const data = await buildCellData(cfg, cell.split, cell.seed, pool);
  const run = await Run.create({
    root: join(ctx.studyDir, "cells"),
    name: cell.id,
    naming: "plain",
    config: {
      cell: cell.id,
      split: cell.split,
      loss: cell.loss,
      seed: cell.seed,
      model: cfg.model,
      train: cfg.train,
      data: data.manifest,
    },
    crashHooks: false,
  });
  manualSeed(cell.seed);
  const model = createRecognizer({
    backbone: cfg.model.backbone,
    width: cfg.model.width,
    cifarStem: cfg.model.cifarStem,
    embeddingDim: cfg.model.embeddingDim,
    numClasses: data.numIdentities,
    loss: cell.loss.config,
  });
  const labels = ids(data.train.identity);
  try {
    const epochs = await trainRecognizer(
      model,
      { images: data.train.images, labels },
      {
        compute: setupCompute(cfg),
        epochs: cfg.train.epochs,
        batchSize: cfg.train.batchSize,
        lr: cfg.train.lr,
        momentum: cfg.train.momentum,
        weightDecay: cfg.train.weightDecay,
        warmupEpochs: cfg.train.warmupEpochs,
        seed: cell.seed,
        onEpoch: (e) =>
          run.logAll(
            { "train/loss": e.loss, "train/accuracy": e.trainAccuracy, "train/lr": e.lr },
            { step: e.epoch, epoch: e.epoch },
          ),
      },
    );
    const ev = evaluateCell(model, data, {
      temperatureScaling: cfg.eval.temperatureScaling,
      impostorsPerProbe: cfg.eval.impostorsPerProbe,
      seed: cell.seed,
    });
    const metrics = cellMetrics(ev, {
      focus: focusGroup(cfg),
      identifiedThreshold: cfg.eval.identifiedThreshold,
      far: cfg.eval.far,
      fpir: cfg.eval.fpir,
      eceBins: cfg.eval.eceBins,
      bootstrap: cfg.eval.bootstrap,
      ciLevel: cfg.eval.ciLevel,
      minGroupSamples: cfg.eval.minGroupSamples,
      seed: cell.seed,
    });
    const all = (m: string) => metrics.rows.find((r) => r.metric === m && r.group === "all")?.value ?? Number.NaN;
    run.finish({ accuracy: all("accuracy"), identified_rate: all("identified_rate"), temperature: ev.temperature });
    ctx.log(
      `  accuracy ${all("accuracy").toFixed(3)}, T=${ev.temperature.toFixed(2)}, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return {
      id: cell.id,
      configHash: ctx.configHash,
      split: cell.split,
      loss: cell.loss,
      seed: cell.seed,
      temperature: ev.temperature,
      metrics,
      train: { epochs, seconds: epochs.reduce((a, e) => a + e.seconds, 0) },
      data: data.manifest,
      runDir: join("cells", run.dir.split(/[\\/]/).pop() as string),
      finishedAt: "",
    };
  } catch (e) {
    run.fail(e);
    throw e;
  } finally {
    model.dispose();
    labels.dispose();
    disposeCellData(data);
  }
}

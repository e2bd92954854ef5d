// The SimCLR study, end to end from one config: load data, pretrain (with monitors, checkpoints, resume),
// evaluate the encoder by linear probe / fine-tune against random-init and from-scratch baselines at
// every labelled fraction (also at the intermediate epochs in pretrain.evalAt, as the seed did at 50/100),
// then write summary.json, metrics and chart descriptors into runs/<name>-<time>/.
import { basename, dirname, join } from "node:path";
import { deriveSeed } from "../../data/rng.js";
import { copyCheckpoints, SimclrCheckpoints } from "../../methods/checkpoint.js";
import { type EvalRow, labelledSubset, runEvalSuite } from "../../methods/evaluate.js";
import { take } from "../../methods/features.js";
import { type PretrainEpoch, pretrain } from "../../methods/pretrain.js";
import { createPretrainModel } from "../../methods/registry.js";
import type { SimclrConfig } from "../../methods/simclr-config.js";
import { simclrViews } from "../../methods/views.js";
import { ProjectionHead } from "../../models/heads.js";
import { RESNETS, type ResNet } from "../../models/resnet.js";
import { Run } from "../../runs/index.js";
import { setupCompute } from "../../torch/device.js";
import {
  destroyProcessGroup,
  initProcessGroup,
  isInitialized,
  isLaunched,
  isMainProcess,
} from "../../torch/distributed/index.js";
import { keep, loadModule, manualSeed, safetensors, tidy } from "../../torch/index.js";
import { loadSimclrData, type SimclrData } from "./data.js";
import { classDistributionCharts, evalCharts, pretrainCharts, summaryOf } from "./report.js";

export interface SimclrStudyOptions {
  runsRoot: string;
  argv?: string[];
  /** a previous run directory: its checkpoints are copied and pretraining continues from the latest */
  resumeFrom?: string;
  /** a checkpoint (.safetensors of a SimCLR run): skip pretraining and evaluate this encoder */
  fromCheckpoint?: string;
  /** stop pretraining after this epoch, as if killed (tests, budgeted runs) */
  stopAfterEpoch?: number;
  naming?: "timestamp" | "plain";
  log?: (msg: string) => void;
}

export interface SimclrStudyResult {
  /** The run directory ("" on data-parallel workers other than rank 0, which write nothing). */
  dir: string;
  /** False on data-parallel workers other than rank 0: they only pretrain (summary {} and rows []). */
  main: boolean;
  summary: Record<string, unknown>;
  history: PretrainEpoch[];
  rows: EvalRow[];
}

/** The encoder of the config: a headless ResNet (numClasses 0) whose features() is h. */
export function buildEncoder(cfg: SimclrConfig, channels: number): ResNet {
  return RESNETS[cfg.model.arch]({
    numClasses: 0,
    inChannels: channels,
    cifarStem: cfg.model.cifarStem,
    widthMultiplier: cfg.model.width / 64,
    layers: cfg.model.layers,
  });
}

const buildHead = (cfg: SimclrConfig) => (featureDim: number) =>
  new ProjectionHead(featureDim, {
    layers: cfg.head.layers,
    hidden: cfg.head.hidden > 0 ? cfg.head.hidden : featureDim,
    out: cfg.head.out,
  });

/** Labelled bank and query images for the pretraining monitors, from the first task. */
function monitorData(cfg: SimclrConfig, data: SimclrData) {
  const task = data.tasks[0];
  if (!task) return undefined;
  const m = cfg.pretrain.monitor;
  const n = task.train.labels.length;
  const bankIdx = labelledSubset(task.train.labels, Math.min(1, m.bankSize / n), deriveSeed(cfg.seed, 0xba2c));
  const q = Math.min(m.querySize, task.val.labels.length);
  return tidy(() => ({
    bank: {
      images: keep(take(task.train.images, bankIdx)),
      labels: Int32Array.from(bankIdx, (i) => task.train.labels[i]!),
    },
    query: { images: keep(task.val.images.narrow(0, 0, q).contiguous()), labels: task.val.labels.slice(0, q) },
    numClasses: task.classNames.length,
  }));
}

/**
 * Runs the study. Under `facelab launch` it initialises the process group (unless the caller did) and
 * pretrains data-parallel; rank 0 alone creates the run directory, logs, checkpoints and evaluates.
 */
export async function runSimclrStudy(cfg: SimclrConfig, o: SimclrStudyOptions): Promise<SimclrStudyResult> {
  const ownGroup = isLaunched() && !isInitialized();
  if (ownGroup) await initProcessGroup();
  try {
    return isMainProcess() ? await runStudy(cfg, o) : await pretrainWorker(cfg, o);
  } finally {
    if (ownGroup) await destroyProcessGroup();
  }
}

/**
 * A data-parallel worker other than rank 0: the same model and data, pretraining only (no monitors,
 * no run directory). On resume it reads the previous run's checkpoints, as rank 0 does from its copy.
 */
async function pretrainWorker(cfg: SimclrConfig, o: SimclrStudyOptions): Promise<SimclrStudyResult> {
  if (o.fromCheckpoint) return { dir: "", main: false, summary: {}, history: [], rows: [] };
  const compute = setupCompute(cfg);
  const data = await loadSimclrData(cfg);
  manualSeed(cfg.seed);
  const model = createPretrainModel(cfg, () => buildEncoder(cfg, data.channels));
  try {
    const r = await pretrain(model, {
      cfg: cfg.pretrain,
      compute,
      seed: cfg.seed,
      pool: data.pool,
      views: simclrViews(cfg.pretrain.augment),
      checkpoints: o.resumeFrom ? new SimclrCheckpoints(join(o.resumeFrom, "checkpoints")) : undefined,
      resume: o.resumeFrom !== undefined,
      stopAfterEpoch: o.stopAfterEpoch,
      warn: () => {},
    });
    return { dir: "", main: false, summary: {}, history: r.history, rows: [] };
  } finally {
    model.dispose();
    data.dispose();
  }
}

async function runStudy(cfg: SimclrConfig, o: SimclrStudyOptions): Promise<SimclrStudyResult> {
  const log = o.log ?? ((m: string) => console.log(m));
  // Inputs first: a corrupt checkpoint or a missing or invalid dataset fails before any run
  // directory exists (#14). readHeader checks the whole header against the file, reading no data.
  if (o.fromCheckpoint) safetensors.readHeader(o.fromCheckpoint);
  const compute = setupCompute(cfg); // device: cuda without CUDA fails here, naming the setting (#11)
  const data = await loadSimclrData(cfg);
  const run = await Run.create({
    root: o.runsRoot,
    name: cfg.name,
    config: cfg,
    device: cfg.device,
    argv: o.argv,
    naming: o.naming,
    keepCheckpoints: 1000,
  }).catch((e) => {
    data.dispose();
    throw e;
  });
  log(`run directory: ${run.dir}`);
  return run.execute(async () => {
    const mon = monitorData(cfg, data);
    const store = new SimclrCheckpoints(join(run.dir, "checkpoints"));
    manualSeed(cfg.seed);
    const model = createPretrainModel(cfg, () => buildEncoder(cfg, data.channels));
    const rows: EvalRow[] = [];
    let history: PretrainEpoch[] = [];
    let initialKnn: number | undefined;
    const makeEncoder = () => buildEncoder(cfg, data.channels);
    // Tags without "loss"/"acc": the report's automatic charts are for pretraining; evalCharts draws these.
    const evaluate = (pretrainEpoch: number) =>
      tidy(async () => {
        const state = model.stateDict();
        const out = await runEvalSuite({
          makeEncoder,
          makeHead: buildHead(cfg),
          pretrained: state,
          pretrainEpoch,
          device: compute.device,
          tasks: data.tasks,
          cfg: cfg.evaluate,
          seed: cfg.seed,
          log: (m) => log(`  [encoder @${pretrainEpoch}] ${m}`),
          onEpoch: (task, method, fraction, r) =>
            run.logAll(
              {
                [`eval/${task}/${method}/${fraction}/@${pretrainEpoch}/train_xent`]: r.loss,
                [`eval/${task}/${method}/${fraction}/@${pretrainEpoch}/val_top1`]: r.val.accuracy,
              },
              { step: r.epoch, epoch: r.epoch },
            ),
        });
        rows.push(...out);
        return out;
      });
    try {
      log(
        `data: pool ${data.pool.shape[0]} images ${JSON.stringify(data.poolSources)}, ${data.size}px × ${data.channels}ch; ` +
          data.tasks
            .map((t) => `${t.name}: ${t.train.labels.length} labelled / ${t.val.labels.length} validation`)
            .join("; "),
      );
      classDistributionCharts(run, data.tasks);
      let pretrainEpoch = 0;
      if (o.fromCheckpoint) {
        loadModule(model, o.fromCheckpoint); // a key or shape mismatch names the file
        pretrainEpoch = Number(/step-(\d+)/.exec(basename(o.fromCheckpoint))?.[1] ?? 0);
        log(
          `evaluating checkpoint ${o.fromCheckpoint} (pretraining epoch ${pretrainEpoch}) from ${dirname(o.fromCheckpoint)}`,
        );
      } else {
        if (o.resumeFrom) copyCheckpoints(o.resumeFrom, store.dir.dir);
        const r = await pretrain(model, {
          cfg: cfg.pretrain,
          compute,
          seed: cfg.seed,
          pool: data.pool,
          views: simclrViews(cfg.pretrain.augment),
          monitor: mon,
          checkpoints: store,
          resume: o.resumeFrom !== undefined,
          stopAfterEpoch: o.stopAfterEpoch,
          warn: (m) => log(`WARNING ${m}`),
          onEpoch: async (h) => {
            run.logAll(
              {
                "pretrain/loss": h.loss,
                "pretrain/contrastive_acc": h.contrastiveAccuracy,
                "pretrain/lr": h.lr,
                ...(h.knnAccuracy !== undefined && { "pretrain/knn_acc": h.knnAccuracy }),
                ...(h.onlineProbeAccuracy !== undefined && { "pretrain/online_probe_acc": h.onlineProbeAccuracy }),
                ...(h.stats && {
                  "pretrain/alignment": h.stats.alignment,
                  "pretrain/uniformity": h.stats.uniformity,
                  "pretrain/spread": h.stats.spread,
                }),
              },
              { step: h.step, epoch: h.epoch },
            );
            log(
              `pretrain epoch ${h.epoch}/${cfg.pretrain.epochs}: loss ${h.loss.toFixed(4)}, contrastive acc ${(h.contrastiveAccuracy * 100).toFixed(1)}%` +
                `${h.knnAccuracy === undefined ? "" : `, kNN ${(h.knnAccuracy * 100).toFixed(2)}%`}` +
                `${h.onlineProbeAccuracy === undefined ? "" : `, online probe ${(h.onlineProbeAccuracy * 100).toFixed(2)}%`}, ${h.seconds.toFixed(1)} s`,
            );
            if (cfg.pretrain.evalAt.includes(h.epoch) && h.epoch < cfg.pretrain.epochs) {
              log(`evaluating the encoder at pretraining epoch ${h.epoch}`);
              await evaluate(h.epoch);
            }
          },
        });
        history = r.history;
        initialKnn = r.initialKnnAccuracy;
        if (initialKnn !== undefined) run.log("pretrain/knn_acc", initialKnn, { step: 0, epoch: 0 });
        // Epochs restored from the checkpoint were logged by the killed run; repeat them here so this
        // run's metrics.jsonl holds the whole curve.
        for (const h of history.slice(0, r.startEpoch))
          run.logAll(
            { "pretrain/loss": h.loss, "pretrain/contrastive_acc": h.contrastiveAccuracy },
            { step: h.step, epoch: h.epoch },
          );
        pretrainEpoch = history.at(-1)?.epoch ?? 0;
        if (r.startEpoch > 0) log(`resumed from epoch ${r.startEpoch}`);
        if (r.stoppedEarly) {
          log(`stopped after epoch ${pretrainEpoch} as asked; resume with --resume ${run.dir}`);
          pretrainCharts(run, history, cfg.pretrain.batchSize, initialKnn);
          const summary = summaryOf(cfg, history, rows, { stoppedAfterEpoch: pretrainEpoch });
          run.finish(summary);
          return { dir: run.dir, main: true, summary, history, rows };
        }
      }
      log(`evaluating the final encoder (pretraining epoch ${pretrainEpoch})`);
      await evaluate(pretrainEpoch);
      pretrainCharts(run, history, cfg.pretrain.batchSize, initialKnn);
      evalCharts(run, rows, data.tasks);
      const summary = summaryOf(cfg, history, rows, {
        // Class names and counts for the findings page's per-class table and protocol.
        tasks: data.tasks.map((t) => ({
          name: t.name,
          classes: [...t.classNames],
          pool: t.train.labels.length,
          validation: t.val.labels.length,
        })),
        poolSources: data.poolSources,
        ...(initialKnn !== undefined && { initialKnnAccuracy: initialKnn }),
        ...(o.fromCheckpoint && { fromCheckpoint: o.fromCheckpoint }),
        ...(o.resumeFrom && { resumedFrom: o.resumeFrom }),
      });
      run.finish(summary);
      return { dir: run.dir, main: true, summary, history, rows };
    } finally {
      model.dispose();
      data.dispose();
      if (mon) {
        mon.bank.images.dispose();
        mon.query.images.dispose();
      }
    }
  });
}

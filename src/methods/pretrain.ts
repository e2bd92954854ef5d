// SimCLR pretraining (Chen et al. 2020): two augmented views of each image, encoder f → h, projection
// head g → z, NT-Xent over the 2N views, LARS (BN/bias excluded) with warmup + cosine per step.
// Each epoch ends with the online monitors — mean loss, contrastive accuracy, kNN accuracy of h,
// an online linear probe trained on detached features, positive-pair alignment and feature spread —
// and warnings when the loss sits at ln(2N−1) or the embeddings collapse.
//
// Resume is exact: every random draw of epoch e comes from generators reseeded with (seed, e) at the
// start of the epoch (LibTorch's for dropout-like ops, the data Rng for order and augmentation), and the
// LR is a pure function of the global step, so model + optimiser + probe state at an epoch boundary is
// the whole state of the run.
//
// Data-parallel when a default process group of more than one rank exists (`facelab launch`): every
// rank draws the same global batch and its views (same seeded Rng), keeps its contiguous 1/W of the
// pairs, and NT-Xent takes its negatives from all workers' projections (allGatherWithGrad, so the
// gradient reaching each worker's rows sums every worker's loss terms); gradients are averaged
// before the step. The loss over the global batch is then the single-process loss; BatchNorm
// statistics stay per worker, as in PyTorch DDP, unless cfg.syncBatchNorm makes them global
// (SyncBatchNorm: then W workers train exactly like one process). Only rank 0 saves checkpoints.
import { deriveSeed, Rng } from "../data/rng.js";
import { ntXentWithLogits } from "../losses/index.js";
import { type Encoder, ProjectionHead } from "../models/heads.js";
import {
  allGatherWithGrad,
  convertSyncBatchNorm,
  DistributedDataParallel,
  getDefaultGroup,
  reduceMetrics,
  revertSyncBatchNorm,
} from "../torch/distributed/index.js";
import { cat, manualSeed, noGrad, type Tensor, tidy } from "../torch/index.js";
import { Linear, Module } from "../torch/nn/index.js";
import { AdamW } from "../torch/optim/adamw.js";
import { isBatchNormOrBias, LARS } from "../torch/optim/lars.js";
import { warmupCosineFactor } from "../torch/optim/lr_scheduler.js";
import type { Optimizer } from "../torch/optim/optimizer.js";
import { SGD } from "../torch/optim/sgd.js";
import { type CheckpointFiles, loadTensors, readMeta, type SimclrCheckpoints } from "./checkpoint.js";
import { epochBatches, extractFeatures, knnAccuracy, labelTensor, take, toUnitFloat } from "./features.js";
import { assertFiniteGrads, assertFiniteLoss, assertLrPositive } from "./guards.js";
import { contrastiveWarnings, type RepresentationStats, representationStats } from "./monitors.js";
import { type PretrainConfig, scaledLr } from "./simclr-config.js";
import { linearProbe } from "./supervised.js";

/** Encoder f plus projection head g; state-dict keys encoder.* and head.*. */
export class SimclrModel extends Module {
  constructor(
    readonly encoder: Encoder,
    readonly head: ProjectionHead,
  ) {
    super();
    this.registerModule("encoder", encoder);
    this.registerModule("head", head);
  }
  forward(x: Tensor): Tensor {
    const h = this.encoder.features(x);
    const z = this.head.call(h);
    h.dispose();
    return z;
  }
}

/** Two augmented views of a float [0,1] batch; all randomness must come from `rng`. */
export type ViewsFn = (x: Tensor, rng: Rng) => [Tensor, Tensor];

export interface MonitorData {
  bank: { images: Tensor; labels: Int32Array };
  query: { images: Tensor; labels: Int32Array };
  numClasses: number;
}

export interface PretrainEpoch {
  epoch: number;
  step: number;
  loss: number;
  contrastiveAccuracy: number;
  lr: number;
  gradNorm: number;
  knnAccuracy?: number;
  onlineProbeAccuracy?: number;
  stats?: RepresentationStats;
  warnings: string[];
  seconds: number;
}

export interface PretrainOptions {
  cfg: PretrainConfig;
  seed: number;
  /** unlabeled pool, uint8 N×C×H×W */
  pool: Tensor;
  views: ViewsFn;
  monitor?: MonitorData;
  /** where checkpoints go; without it nothing is saved and resume is impossible */
  checkpoints?: SimclrCheckpoints;
  /** continue from the latest complete checkpoint, if any */
  resume?: boolean;
  /** stop (as if killed) after this epoch — for tests and budgeted runs */
  stopAfterEpoch?: number;
  onEpoch?: (r: PretrainEpoch) => void | Promise<void>;
  onCheckpoint?: (f: CheckpointFiles) => void | Promise<void>;
  /** where warnings go (default console.warn) */
  warn?: (msg: string) => void;
  /** wall-clock reading for `seconds` (injectable) */
  now?: () => number;
}

export interface PretrainResult {
  history: PretrainEpoch[];
  /** first epoch run in this call (0-based count of epochs already done before it) */
  startEpoch: number;
  stoppedEarly: boolean;
  /** kNN accuracy of the encoder at its random initialisation (only when this call started at epoch 0) */
  initialKnnAccuracy?: number;
}

/** The optimiser of the config, with BN and bias excluded from weight decay (and from LARS adaptation). */
export function buildPretrainOptimizer(model: Module, cfg: PretrainConfig, lr: number): Optimizer<{ lr: number }> {
  const named = model.namedParameters();
  if (cfg.optimizer === "lars")
    return new LARS(named, { lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay, eta: cfg.eta });
  const decay = named.filter(([n, p]) => !isBatchNormOrBias(n, p));
  const noDecay = named.filter(([n, p]) => isBatchNormOrBias(n, p));
  const groups = [
    { params: decay, weightDecay: cfg.weightDecay },
    { params: noDecay, weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
  if (cfg.optimizer === "sgd") return new SGD(groups, { lr, momentum: cfg.momentum });
  return new AdamW(groups, { lr });
}

export async function pretrain(model: SimclrModel, o: PretrainOptions): Promise<PretrainResult> {
  const { cfg } = o;
  const warn = o.warn ?? ((m: string) => console.warn(`warning: ${m}`));
  const now = o.now ?? (() => performance.now() / 1000);
  const n = o.pool.shape[0]!;
  const B = cfg.batchSize;
  if (n < B) throw new RangeError(`pretrain: the pool has ${n} images, fewer than one batch of ${B}`);
  const stepsPerEpoch = Math.floor(n / B); // drop_last: NT-Xent and BN want full batches
  const group = getDefaultGroup();
  const world = group?.worldSize ?? 1;
  if (B % world !== 0)
    throw new RangeError(`pretrain: the global batch size ${B} must be divisible by the number of workers (${world})`);
  const N = B / world; // pairs on this worker
  const totalSteps = cfg.epochs * stepsPerEpoch;
  const warmupSteps = Math.min(totalSteps, Math.round(cfg.warmupEpochs * stepsPerEpoch));
  const baseLr = scaledLr(cfg.lr, B, cfg.lrScaling);
  const opt = buildPretrainOptimizer(model, cfg, baseLr);
  const named = new Map(model.namedParameters());
  const mon = o.monitor;
  const probe = mon ? new Linear(model.encoder.featureDim, mon.numClasses) : undefined;
  const history: PretrainEpoch[] = [];
  let startEpoch = 0;
  let ddp: DistributedDataParallel<SimclrModel> | undefined;
  try {
    if (o.resume && o.checkpoints) {
      const latest = o.checkpoints.latest();
      if (latest) startEpoch = restore(latest, model, opt, probe, history);
    }
    // Every worker restored the same checkpoint (if any); wrap() still makes rank 0's weights the start.
    // SyncBatchNorm only while training on every rank: finally{} turns it back into BatchNorm, so
    // rank 0 alone can evaluate the model afterwards.
    if (cfg.syncBatchNorm && group && world > 1) convertSyncBatchNorm(model, group);
    ddp = group && world > 1 ? await DistributedDataParallel.wrap(model, { group }) : undefined;
    const offset = (ddp?.rank ?? 0) * N;
    // The random-init level of the kNN monitor: the baseline the curve should rise above. Grad-free
    // and eval-mode, so it changes no state and the run stays identical to one without it.
    let initialKnnAccuracy: number | undefined;
    if (startEpoch === 0 && mon && cfg.monitor.knn)
      initialKnnAccuracy = (await monitorEpoch(model.encoder, mon, undefined, cfg, 0)).knnAccuracy;
    for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
      const t0 = now();
      manualSeed(deriveSeed(o.seed, epoch, 0x5eed));
      const rng = new Rng(deriveSeed(o.seed, epoch));
      model.train();
      let lossSum = 0;
      let accSum = 0;
      let gradNorm = 0;
      let lr = 0;
      let last: [Tensor, Tensor] | undefined;
      const batches = epochBatches(n, B, rng, true);
      for (let b = 0; b < batches.length; b++) {
        const step = epoch * stepsPerEpoch + b;
        // google WarmUpAndCosineDecay evaluated at the step being taken (step+1), so step 0 is not lr 0
        lr = baseLr * warmupCosineFactor(step + 1, warmupSteps, totalSteps);
        if (b === 0) assertLrPositive(lr, `pretraining epoch ${epoch + 1}`);
        for (const g of opt.paramGroups) g.lr = lr;
        const isLast = b === batches.length - 1;
        const out = await tidy(async () => {
          const x = toUnitFloat(take(o.pool, batches[b]!));
          let [v1, v2] = o.views(x, rng);
          if (ddp) {
            // Views of the whole global batch on every rank keep the Rng draws of one process.
            v1 = v1.narrow(0, offset, N);
            v2 = v2.narrow(0, offset, N);
          }
          const z = model.call(cat([v1, v2])); // one pass: BN sees both views, as in the reference code
          const z1 = z.narrow(0, 0, N);
          const z2 = z.narrow(0, N, N);
          const global = ddp
            ? { z1: await allGatherWithGrad(z1, { group }), z2: await allGatherWithGrad(z2, { group }), offset }
            : undefined;
          const { loss, logits, targets } = ntXentWithLogits(z1, z2, { temperature: cfg.temperature, global });
          opt.zeroGrad();
          loss.backward();
          await ddp?.syncGradients();
          const l = loss.item();
          assertFiniteLoss(l, `pretraining epoch ${epoch + 1} step ${b + 1}`);
          if (b === 0) gradNorm = assertFiniteGrads(named, `pretraining epoch ${epoch + 1}`);
          opt.step();
          const acc = noGrad(() => logits.argmax(1).eq(targets).float().mean().item());
          return { l, acc, keepZ: isLast ? ([z1.detach(), z2.detach()] as [Tensor, Tensor]) : undefined };
        });
        lossSum += out.l;
        if (b % 4 === 3) await new Promise((r) => setImmediate(r)); // signals get through mid-epoch
        accSum += out.acc;
        if (out.keepZ) last = out.keepZ;
      }
      // Each worker's mean is over its N anchors (against all 2B candidates); equal shards: mean of means.
      const means = await reduceMetrics(
        { loss: lossSum / batches.length, acc: accSum / batches.length },
        "mean",
        group,
      );
      const rec: PretrainEpoch = {
        epoch: epoch + 1,
        step: (epoch + 1) * stepsPerEpoch,
        loss: means.loss,
        contrastiveAccuracy: means.acc,
        lr,
        gradNorm,
        warnings: [],
        seconds: 0,
      };
      if (last) {
        rec.stats = representationStats(last[0], last[1]);
        last[0].dispose();
        last[1].dispose();
      }
      if (mon && probe && ((epoch + 1) % cfg.monitor.every === 0 || epoch + 1 === cfg.epochs))
        Object.assign(rec, await monitorEpoch(model.encoder, mon, probe, cfg, deriveSeed(o.seed, epoch, 0x9b0e)));
      rec.warnings = contrastiveWarnings([...history.map((h) => h.loss), rec.loss], B, rec.stats, {
        epochsBeforeLossCheck: Math.max(2, Math.ceil(cfg.warmupEpochs) + 1), // LR is still small in warmup
      });
      for (const w of rec.warnings) warn(`epoch ${epoch + 1}: ${w}`);
      rec.seconds = now() - t0;
      history.push(rec);
      await o.onEpoch?.(rec);
      const done = epoch + 1;
      const writes = !ddp || ddp.rank === 0; // other workers may read checkpoints (resume), never write
      if (
        o.checkpoints &&
        writes &&
        (done % cfg.checkpointEvery === 0 || done === cfg.epochs || done === o.stopAfterEpoch)
      ) {
        const f = save(o.checkpoints, done, model, opt, probe, history);
        await o.onCheckpoint?.(f);
      }
      if (o.stopAfterEpoch !== undefined && done >= o.stopAfterEpoch && done < cfg.epochs)
        return { history, startEpoch, stoppedEarly: true, initialKnnAccuracy };
      await new Promise((r) => setImmediate(r)); // let signals and timers through between epochs
    }
    return { history, startEpoch, stoppedEarly: false, initialKnnAccuracy };
  } finally {
    ddp?.dispose();
    revertSyncBatchNorm(model);
    opt.dispose();
    probe?.dispose();
  }
}

/**
 * kNN accuracy and an online linear probe on detached encoder features: the probe's weights persist
 * across epochs (google's lineareval_while_pretraining, on stop-gradient features) and get one short
 * round of training per monitored epoch on the labelled bank.
 */
async function monitorEpoch(
  encoder: Encoder,
  mon: MonitorData,
  probe: Linear | undefined,
  cfg: PretrainConfig,
  seed: number,
): Promise<{ knnAccuracy?: number; onlineProbeAccuracy?: number }> {
  return tidy(async () => {
    const bank = extractFeatures(encoder, mon.bank.images);
    const query = extractFeatures(encoder, mon.query.images);
    const out: { knnAccuracy?: number; onlineProbeAccuracy?: number } = {};
    if (cfg.monitor.knn)
      out.knnAccuracy = knnAccuracy(
        bank,
        labelTensor(mon.bank.labels),
        query,
        labelTensor(mon.query.labels),
        mon.numClasses,
        cfg.monitor.knnK,
        cfg.monitor.knnTemperature,
      );
    if (cfg.monitor.onlineProbe && probe) {
      const r = await linearProbe(bank, mon.bank.labels, query, mon.query.labels, mon.numClasses, {
        epochs: 3,
        batchSize: 128,
        lr: 0.05,
        weightDecay: 0,
        seed,
        guards: false,
        init: probe,
      });
      out.onlineProbeAccuracy = r.final.accuracy;
    }
    return out;
  });
}

function trainState(
  opt: Optimizer<{ lr: number }>,
  probe: Linear | undefined,
): { tensors: Map<string, Tensor>; groups: unknown } {
  const sd = opt.stateDict();
  const tensors = new Map<string, Tensor>();
  for (const [idx, st] of Object.entries(sd.state))
    for (const [k, v] of Object.entries(st)) if (typeof v !== "number") tensors.set(`optim.${idx}.${k}`, v);
  const numbers = Object.fromEntries(
    Object.entries(sd.state).map(([idx, st]) => [
      idx,
      Object.fromEntries(Object.entries(st).filter(([, v]) => typeof v === "number")),
    ]),
  );
  if (probe) for (const [k, v] of probe.stateDict()) tensors.set(`probe.${k}`, v);
  return { tensors, groups: { paramGroups: sd.paramGroups, numbers } };
}

function save(
  store: SimclrCheckpoints,
  epoch: number,
  model: SimclrModel,
  opt: Optimizer<{ lr: number }>,
  probe: Linear | undefined,
  history: PretrainEpoch[],
): CheckpointFiles {
  return tidy(() => {
    const st = trainState(opt, probe);
    return store.save(epoch, model.stateDict(), st.tensors, { optimizer: st.groups, history });
  });
}

function restore(
  f: CheckpointFiles,
  model: SimclrModel,
  opt: Optimizer<{ lr: number }>,
  probe: Linear | undefined,
  history: PretrainEpoch[],
): number {
  tidy(() => {
    model.loadStateDict(loadTensors(f.model));
    const meta = readMeta<{
      optimizer: { paramGroups: never[]; numbers: Record<string, Record<string, number>> };
      history: PretrainEpoch[];
    }>(f);
    const train = loadTensors(f.train);
    const state: Record<number, Record<string, Tensor | number>> = {};
    for (const [key, t] of train) {
      const m = /^optim\.(\d+)\.(.+)$/.exec(key);
      if (!m) continue;
      state[Number(m[1])] ??= { ...(meta.optimizer.numbers[m[1]!] ?? {}) };
      state[Number(m[1])]![m[2]!] = t;
    }
    for (const [idx, nums] of Object.entries(meta.optimizer.numbers)) state[Number(idx)] ??= { ...nums };
    opt.loadStateDict({ state, paramGroups: meta.optimizer.paramGroups });
    if (probe) {
      const ps = new Map([...train].filter(([k]) => k.startsWith("probe.")).map(([k, v]) => [k.slice(6), v]));
      if (ps.size > 0) probe.loadStateDict(ps);
    }
    history.push(...meta.history);
  });
  return f.epoch;
}

/** Builds encoder + projection head from an encoder and the head config. */
export function simclrModel(encoder: Encoder, head: { layers: number; hidden: number; out: number }): SimclrModel {
  const hidden = head.hidden > 0 ? head.hidden : encoder.featureDim;
  return new SimclrModel(
    encoder,
    new ProjectionHead(encoder.featureDim, { layers: head.layers, hidden, out: head.out }),
  );
}

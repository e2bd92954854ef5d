// The one training loop (in the manner of solo-learn's BaseMethod). A method (SimCLR, BYOL, face
// recognition) supplies its model, how many steps an epoch has and a `trainingStep` that returns
// the loss of this worker's share of a global batch; the Trainer owns everything else:
//  - the optimizer and its parameter groups, with ONE weight-decay exclusion rule (isBatchNormOrBias:
//    BatchNorm, biases and every ≤1-D parameter such as Ring loss's radius — face.evoLVe "wd not
//    applied to BN params", google SimCLR's EXCLUDE_FROM_WEIGHT_DECAY);
//  - ONE learning-rate schedule, lrAt(): linear warmup then cosine, evaluated at step+1 as google's
//    SimCLR (lr = base·(step+1)/warmup during warmup), so the first step's lr is > 0;
//  - data parallelism (DDP wrap, the divisibility check, SyncBatchNorm while training) and guards
//    (lr > 0, finite loss and gradients);
//  - exact resume: every random draw of epoch e comes from generators reseeded with (seed, e) at
//    the start of the epoch (LibTorch's, and the data Rng handed to the method), and the lr is a
//    pure function of the global step, so model + optimizer + method state at an epoch boundary is
//    the whole state of the run;
//  - checkpoints (rank 0 writes), per-epoch metrics reduced over workers, and progress callbacks;
//  - the precision hook points: `precision` passes through to backward()/optimizerStep() below.
import { deriveSeed, Rng } from "../data/rng.js";
import { autocast, GradScaler, type Precision } from "../torch/autocast.js";
import { type Compute, channelsLast, type MemoryFormat } from "../torch/device.js";
import {
  convertSyncBatchNorm,
  DistributedDataParallel,
  getDefaultGroup,
  type ProcessGroup,
  reduceMetrics,
  revertSyncBatchNorm,
} from "../torch/distributed/index.js";
import { type Device, loadModule, manualSeed, type Tensor, tidy } from "../torch/index.js";
import type { Module } from "../torch/nn/index.js";
import { AdamW } from "../torch/optim/adamw.js";
import { clipGradNorm } from "../torch/optim/index.js";
import { isBatchNormOrBias, LARS } from "../torch/optim/lars.js";
import { warmupCosineFactor } from "../torch/optim/lr_scheduler.js";
import type { Optimizer } from "../torch/optim/optimizer.js";
import { SGD } from "../torch/optim/sgd.js";
import { type CheckpointFiles, loadTensors, readMeta, type SimclrCheckpoints } from "./checkpoint.js";
import { assertFiniteGrads, assertFiniteLoss, assertLrPositive } from "./guards.js";

export interface OptimizerConfig {
  optimizer: "lars" | "sgd" | "adamw";
  /** Base lr (already scaled for the batch size); the schedule multiplies it. */
  lr: number;
  momentum: number;
  weightDecay: number;
  /** LARS trust coefficient. */
  eta?: number;
}

/** The optimizer of a config over a model's parameters, BatchNorm/bias/≤1-D excluded from weight decay. */
export function buildOptimizer(model: Module, o: OptimizerConfig): Optimizer<{ lr: number }> {
  const named = model.namedParameters();
  if (o.optimizer === "lars")
    return new LARS(named, { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, eta: o.eta });
  const decay = named.filter(([n, p]) => !isBatchNormOrBias(n, p));
  const noDecay = named.filter(([n, p]) => isBatchNormOrBias(n, p));
  const groups = [
    { params: decay, weightDecay: o.weightDecay },
    { params: noDecay, weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
  if (o.optimizer === "sgd") return new SGD(groups, { lr: o.lr, momentum: o.momentum });
  return new AdamW(groups, { lr: o.lr });
}

export interface Schedule {
  /** Base lr. */
  lr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** The schedule of a run: warmup in (possibly fractional) epochs, rounded to steps. */
export function scheduleFor(lr: number, epochs: number, stepsPerEpoch: number, warmupEpochs: number): Schedule {
  const totalSteps = epochs * stepsPerEpoch;
  return { lr, totalSteps, warmupSteps: Math.min(totalSteps, Math.round(warmupEpochs * stepsPerEpoch)) };
}

/** The lr of 0-based global step `step`: google's WarmUpAndCosineDecay at step+1 (first step > 0). */
export function lrAt(step: number, s: Schedule): number {
  return s.lr * warmupCosineFactor(step + 1, s.warmupSteps, s.totalSteps);
}

/** What a method's trainingStep sees. */
export interface StepContext {
  epoch: number;
  /** Batch index within the epoch. */
  batch: number;
  /** Global step (0-based) and the run's total (BYOL's τ schedule). */
  step: number;
  totalSteps: number;
  lr: number;
  /** The epoch's data Rng (seeded from (seed, epoch)): order and augmentation draws. */
  rng: Rng;
  /** This worker's rows of the global batch: [offset, offset + local). */
  rank: number;
  world: number;
  local: number;
  offset: number;
  group: ProcessGroup | undefined;
  /** Whether this is the epoch's last batch (a method may keep outputs for its epoch-end monitors). */
  last: boolean;
  /** Where the model lives (the run's `device`): move each batch there (toDevice) before augmenting it. */
  device: Device;
  /** Runs the model's forward under the run's precision (autocast); compute losses on `.float()` outputs outside it. */
  autocast<T>(fn: () => T): T;
}

export interface StepOutput {
  /** This worker's loss (mean over its share; averaging gradients over workers gives the global mean). */
  loss: Tensor;
  /** Numbers to average over the epoch's steps and the workers (e.g. accuracy). */
  metrics?: Record<string, number>;
}

/** The base record of one epoch; methods add their own fields in endEpoch. */
export interface EpochRecord {
  epoch: number;
  /** Global steps done at the end of this epoch. */
  step: number;
  loss: number;
  /** lr of the epoch's last step. */
  lr: number;
  /** Gradient norm at the epoch's first step. */
  gradNorm: number;
  seconds: number;
  /** Step metrics averaged over the epoch and the workers. */
  metrics: Record<string, number>;
}

export interface TrainingMethod<E extends EpochRecord = EpochRecord> {
  /** Names the method in messages ("SimCLR pretraining", "arcface training"). */
  readonly name: string;
  /** The trained module: its parameters are optimized, wrapped by DDP and checkpointed. */
  readonly model: Module;
  stepsPerEpoch(): number;
  /** Called at the start of each epoch after the generators are reseeded. */
  beginEpoch?(epoch: number, rng: Rng): void;
  trainingStep(ctx: StepContext): Promise<StepOutput> | StepOutput;
  /** After each optimizer step (BYOL's EMA target update). */
  afterStep?(ctx: StepContext): void;
  /** Once, after resume and wrapping, before the first epoch of this call. */
  onStart?(startEpoch: number): Promise<void> | void;
  /** Turns the base record into the method's (monitors, warnings). */
  endEpoch?(rec: EpochRecord, history: readonly E[]): Promise<E> | E;
  /** Tensors besides model and optimizer that resume needs (online probe, EMA target), by name. */
  extraState?(): Map<string, Tensor>;
  loadExtraState?(state: Map<string, Tensor>): void;
  /** A hint appended to the non-finite-loss failure. */
  readonly divergenceHint?: string;
}

export interface TrainerOptions {
  epochs: number;
  seed: number;
  optimizer: OptimizerConfig;
  warmupEpochs: number;
  clipGradNorm?: number;
  /** Under `facelab launch`: BatchNorm statistics over the global batch while training. */
  syncBatchNorm?: boolean;
  /** The global batch size (checked against the number of workers). */
  batchSize: number;
  /** Where the model and batches live (src/torch/device.ts setupCompute checked it); default cpu. */
  device?: Device;
  /** Autocast for the methods' forward (ctx.autocast); fp16 adds a gradient scaler (skipped steps, scale logged). */
  precision?: Precision;
  /** channels_last: the model's 4-D weights in NHWC strides (tensor cores; faster on CPU too). */
  memoryFormat?: MemoryFormat;
  checkpoints?: SimclrCheckpoints;
  checkpointEvery?: number;
  resume?: boolean;
  /** Stop (as if killed) after this epoch — for tests and budgeted runs. */
  stopAfterEpoch?: number;
  onStep?: (s: { epoch: number; step: number; loss: number; lr: number; batchSize: number }) => void;
  onEpoch?: (rec: EpochRecord) => void | Promise<void>;
  onCheckpoint?: (f: CheckpointFiles) => void | Promise<void>;
  /** Wall-clock reading for `seconds` (injectable). */
  now?: () => number;
}

/** What a method's entry point (pretrain, trainRecognizer) hands to the Trainer unchanged. */
export interface RunControl
  extends Pick<TrainerOptions, "checkpoints" | "checkpointEvery" | "resume" | "stopAfterEpoch"> {
  /** device, precision and memory format (src/torch/device.ts setupCompute); default cpu, fp32, contiguous */
  compute?: Compute;
}

/** A RunControl as the Trainer's options. */
export const runControl = (o: RunControl): Partial<TrainerOptions> => ({
  device: o.compute?.device,
  precision: o.compute?.precision,
  memoryFormat: o.compute?.memoryFormat,
  checkpoints: o.checkpoints,
  checkpointEvery: o.checkpointEvery,
  resume: o.resume,
  stopAfterEpoch: o.stopAfterEpoch,
});

export interface FitResult<E extends EpochRecord = EpochRecord> {
  history: E[];
  startEpoch: number;
  stoppedEarly: boolean;
}

export class Trainer {
  /** fp16's loss scaler (Micikevicius et al. 2018); disabled (scale 1, never skips) for fp32 and bf16. */
  readonly scaler: GradScaler;
  constructor(readonly o: TrainerOptions) {
    this.scaler = new GradScaler({ enabled: o.precision === "fp16" });
  }

  async fit<E extends EpochRecord>(method: TrainingMethod<E>, history: E[] = []): Promise<FitResult<E>> {
    const o = this.o;
    const model = method.model;
    const device = o.device ?? "cpu";
    const precision = o.precision ?? "fp32";
    model.to(device);
    if (o.memoryFormat === "channels_last") channelsLast(model);
    const now = o.now ?? (() => performance.now() / 1000);
    const group = getDefaultGroup();
    const world = group?.worldSize ?? 1;
    if (o.batchSize % world !== 0)
      throw new RangeError(
        `${method.name}: the global batch size ${o.batchSize} must be divisible by the number of workers (${world})`,
      );
    const local = o.batchSize / world;
    const stepsPerEpoch = method.stepsPerEpoch();
    const schedule = scheduleFor(o.optimizer.lr, o.epochs, stepsPerEpoch, o.warmupEpochs);
    const opt = buildOptimizer(model, o.optimizer);
    const named = new Map(model.namedParameters());
    let startEpoch = 0;
    let ddp: DistributedDataParallel<Module> | undefined;
    try {
      if (o.resume && o.checkpoints) {
        const latest = o.checkpoints.latest();
        if (latest) startEpoch = restore(latest, method, opt, history);
      }
      // Every worker restored the same checkpoint (if any); wrap() still makes rank 0's weights the
      // start. SyncBatchNorm only while training: finally{} reverts it so rank 0 alone can evaluate.
      if (o.syncBatchNorm && group && world > 1) convertSyncBatchNorm(model, group);
      ddp = group && world > 1 ? await DistributedDataParallel.wrap(model, { group }) : undefined;
      const rank = ddp?.rank ?? 0;
      await method.onStart?.(startEpoch);
      for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
        const t0 = now();
        manualSeed(deriveSeed(o.seed, epoch, 0x5eed));
        const rng = new Rng(deriveSeed(o.seed, epoch));
        model.train();
        method.beginEpoch?.(epoch, rng);
        let lossSum = 0;
        let gradNorm = 0;
        let lr = 0;
        const sums: Record<string, number> = {};
        for (let b = 0; b < stepsPerEpoch; b++) {
          const step = epoch * stepsPerEpoch + b;
          lr = lrAt(step, schedule);
          if (b === 0) assertLrPositive(lr, `${method.name} epoch ${epoch + 1}`);
          for (const g of opt.paramGroups) g.lr = lr;
          const ctx: StepContext = {
            epoch,
            batch: b,
            step,
            totalSteps: schedule.totalSteps,
            lr,
            rng,
            rank,
            world,
            local,
            offset: rank * local,
            group,
            last: b === stepsPerEpoch - 1,
            device,
            autocast: (fn) => autocast(device, precision, fn),
          };
          const out = await tidy(async () => {
            const s = await method.trainingStep(ctx);
            opt.zeroGrad();
            this.backward(s.loss);
            await ddp?.syncGradients();
            const l = s.loss.item();
            const where = `${method.name} epoch ${epoch + 1} step ${b + 1} (lr ${lr.toPrecision(3)})`;
            assertFiniteLoss(l, method.divergenceHint ? `${where}; ${method.divergenceHint}` : where);
            // fp16: the scaler unscales the gradients first and skips the step (halving the scale) on inf/NaN.
            const stepped = this.scaler.step(model.parameters(), () => {
              if (b === 0) gradNorm = assertFiniteGrads(named, `${method.name} epoch ${epoch + 1}`);
              if (o.clipGradNorm !== undefined) clipGradNorm(model.parameters(), o.clipGradNorm);
              this.optimizerStep(opt);
            });
            method.afterStep?.(ctx);
            const scaling = this.scaler.enabled ? { lossScale: this.scaler.scale, skippedStep: stepped ? 0 : 1 } : {};
            return { l, metrics: { ...(s.metrics ?? {}), ...scaling } };
          });
          lossSum += out.l;
          for (const [k, v] of Object.entries(out.metrics)) sums[k] = (sums[k] ?? 0) + v;
          o.onStep?.({ epoch, step, loss: out.l, lr, batchSize: o.batchSize });
          if (b % 4 === 3) await new Promise((r) => setImmediate(r)); // signals get through mid-epoch
        }
        // Each worker's means are over its equal share: the mean of the workers' means is the global one.
        const means = await reduceMetrics(
          {
            loss: lossSum / stepsPerEpoch,
            ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / stepsPerEpoch])),
          },
          "mean",
          group,
        );
        const { loss, ...metrics } = means;
        const base: EpochRecord = {
          epoch: epoch + 1,
          step: (epoch + 1) * stepsPerEpoch,
          loss: loss as number,
          lr,
          gradNorm,
          seconds: 0,
          metrics,
        };
        const rec = method.endEpoch ? await method.endEpoch(base, history) : (base as E);
        rec.seconds = now() - t0;
        history.push(rec);
        await o.onEpoch?.(rec);
        const done = epoch + 1;
        const every = o.checkpointEvery ?? 1;
        if (
          o.checkpoints &&
          rank === 0 && // other workers may read checkpoints (resume), never write
          (done % every === 0 || done === o.epochs || done === o.stopAfterEpoch)
        ) {
          const f = save(o.checkpoints, done, method, opt, history);
          await o.onCheckpoint?.(f);
        }
        if (o.stopAfterEpoch !== undefined && done >= o.stopAfterEpoch && done < o.epochs)
          return { history, startEpoch, stoppedEarly: true };
        await new Promise((r) => setImmediate(r)); // let signals and timers through between epochs
      }
      return { history, startEpoch, stoppedEarly: false };
    } finally {
      ddp?.dispose();
      revertSyncBatchNorm(model);
      opt.dispose();
    }
  }

  /** Precision hook (issue #11): under fp16 this is where the GradScaler scales the loss. */
  protected backward(loss: Tensor): void {
    this.scaler.scaleLoss(loss).backward();
  }

  /** Precision hook (issue #11): under fp16 this is where the GradScaler unscales, skips on inf and updates. */
  protected optimizerStep(opt: Optimizer<{ lr: number }>): void {
    opt.step();
  }
}

function trainState(opt: Optimizer<{ lr: number }>, extra: Map<string, Tensor> | undefined) {
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
  for (const [k, v] of extra ?? []) tensors.set(k, v);
  return { tensors, groups: { paramGroups: sd.paramGroups, numbers } };
}

function save<E>(
  store: SimclrCheckpoints,
  epoch: number,
  method: TrainingMethod<E & EpochRecord>,
  opt: Optimizer<{ lr: number }>,
  history: E[],
): CheckpointFiles {
  return tidy(() => {
    const st = trainState(opt, method.extraState?.());
    return store.save(epoch, method.model.stateDict(), st.tensors, { optimizer: st.groups, history });
  });
}

function restore<E>(
  f: CheckpointFiles,
  method: TrainingMethod<E & EpochRecord>,
  opt: Optimizer<{ lr: number }>,
  history: E[],
): number {
  tidy(() => {
    loadModule(method.model, f.model); // a key/shape mismatch names the checkpoint file (#14)
    const meta = readMeta<{
      optimizer: { paramGroups: never[]; numbers: Record<string, Record<string, number>> };
      history: E[];
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
    method.loadExtraState?.(new Map([...train].filter(([k]) => !k.startsWith("optim."))));
    history.push(...meta.history);
  });
  return f.epoch;
}

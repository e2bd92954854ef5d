// Learning-rate schedules, stepped once per optimisation step (per batch), PyTorch-style: building
// a scheduler sets every group's lr to its value at step 0; each step() advances one step.
// Plus SimCLR's learning-rate scaling rules and step counts (reference/simclr.md §1.1).
import { TorchError } from "../errors.js";
import type { Optimizer } from "./optimizer.js";

export interface SchedulerStateDict {
  lastStep: number;
  baseLrs: number[];
}

/** Multiplies each group's base lr by factor(step). Subclasses define the factor. */
export class LRScheduler {
  /** The step whose lr is in effect now (0 right after construction). */
  lastStep = 0;
  /** Each group's lr when the scheduler was built. */
  baseLrs: number[];

  constructor(
    readonly optimizer: Optimizer<{ lr: number }>,
    private readonly factorFn: (step: number) => number,
  ) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  /** The multiplier of the base lr at a step. */
  factor(step: number): number {
    return this.factorFn(step);
  }

  /** Each group's lr at a step (without changing anything). */
  lrAt(step: number): number[] {
    const f = this.factor(step);
    if (!Number.isFinite(f) || f < 0)
      throw new TorchError(`learning-rate schedule gave factor ${f} at step ${step}`, "ValueError");
    return this.baseLrs.map((b) => b * f);
  }

  /** Advances one step and writes the new lr into the optimizer's groups. */
  step(): void {
    this.lastStep++;
    this.apply();
  }

  /** The lr of each group now. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerStateDict {
    return { lastStep: this.lastStep, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    if (!Number.isInteger(sd.lastStep) || sd.lastStep < 0)
      throw new TorchError(
        `scheduler state: lastStep must be a non-negative integer, got ${sd.lastStep}`,
        "ValueError",
      );
    if (sd.baseLrs.length !== this.optimizer.paramGroups.length)
      throw new TorchError(
        `scheduler state has ${sd.baseLrs.length} base learning rates, the optimizer ${this.optimizer.paramGroups.length} groups`,
        "ValueError",
      );
    this.lastStep = sd.lastStep;
    this.baseLrs = [...sd.baseLrs];
    this.apply();
  }

  private apply(): void {
    const lrs = this.lrAt(this.lastStep);
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i] as number;
    });
  }
}

function checkSteps(what: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min)
    throw new TorchError(`${what} must be an integer ≥ ${min}, got ${v}`, "ValueError");
}

/** lr = base·fn(step) for any function (torch.optim.lr_scheduler.LambdaLR). */
export class LambdaLR extends LRScheduler {}

/**
 * Linear warmup from 0 then cosine decay to minFactor·base at totalSteps (constant after), as
 * google's WarmUpAndCosineDecay: step/warmup·lr during warmup, then keras CosineDecay
 * (alpha = minFactor) over totalSteps − warmupSteps.
 */
export class WarmupCosineLR extends LRScheduler {
  constructor(
    optimizer: Optimizer<{ lr: number }>,
    o: { warmupSteps: number; totalSteps: number; minFactor?: number },
  ) {
    checkSteps("WarmupCosineLR warmupSteps", o.warmupSteps);
    checkSteps("WarmupCosineLR totalSteps", o.totalSteps, 1);
    if (o.warmupSteps > o.totalSteps)
      throw new TorchError(
        `WarmupCosineLR: warmupSteps (${o.warmupSteps}) exceeds totalSteps (${o.totalSteps})`,
        "ValueError",
      );
    const minF = o.minFactor ?? 0;
    if (!(minF >= 0 && minF <= 1))
      throw new TorchError(`WarmupCosineLR: minFactor must be in [0, 1], got ${minF}`, "ValueError");
    super(optimizer, (step) => warmupCosineFactor(step, o.warmupSteps, o.totalSteps, minF));
  }
}

export function warmupCosineFactor(step: number, warmupSteps: number, totalSteps: number, minFactor = 0): number {
  if (step < warmupSteps) return step / warmupSteps;
  const decaySteps = totalSteps - warmupSteps;
  if (decaySteps <= 0) return 1;
  const t = Math.min(step - warmupSteps, decaySteps) / decaySteps;
  return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * t));
}

/** lr = base·gamma^floor(step/stepSize) (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<{ lr: number }>, o: { stepSize: number; gamma?: number }) {
    checkSteps("StepLR stepSize", o.stepSize, 1);
    const gamma = o.gamma ?? 0.1;
    super(optimizer, (step) => gamma ** Math.floor(step / o.stepSize));
  }
}

/** lr = base·gamma^(number of milestones ≤ step) (torch.optim.lr_scheduler.MultiStepLR). */
export class MultiStepLR extends LRScheduler {
  constructor(optimizer: Optimizer<{ lr: number }>, o: { milestones: number[]; gamma?: number }) {
    for (const m of o.milestones) checkSteps("MultiStepLR milestone", m);
    const gamma = o.gamma ?? 0.1;
    super(optimizer, (step) => gamma ** o.milestones.filter((m) => m <= step).length);
  }
}

export type LrScaling = "linear" | "sqrt";

/**
 * SimCLR's learning-rate scaling (google `learning_rate_scaling`): linear = base·B/256,
 * sqrt = base·√B. Defaults are the paper's: 0.3 with linear scaling, 0.075 with sqrt scaling
 * (sqrt "allows it to train better when smaller batch size is used", simclr.md §1.1).
 */
export function scaleLearningRate(batchSize: number, rule: LrScaling, base = rule === "linear" ? 0.3 : 0.075): number {
  checkSteps("scaleLearningRate batchSize", batchSize, 1);
  if (rule === "linear") return (base * batchSize) / 256;
  if (rule === "sqrt") return base * Math.sqrt(batchSize);
  throw new TorchError(`unknown learning-rate scaling '${String(rule)}'; expected 'linear' or 'sqrt'`, "ValueError");
}

/**
 * Step counts the way google's run.py derives them: warmup = round(warmupEpochs·N // B),
 * total = N·epochs // B + 1.
 */
export function simclrSteps(o: { numExamples: number; batchSize: number; epochs: number; warmupEpochs?: number }): {
  warmupSteps: number;
  totalSteps: number;
} {
  checkSteps("simclrSteps batchSize", o.batchSize, 1);
  const warmupSteps = Math.round(Math.floor(((o.warmupEpochs ?? 10) * o.numExamples) / o.batchSize));
  const totalSteps = Math.floor((o.numExamples * o.epochs) / o.batchSize) + 1;
  return { warmupSteps: Math.min(warmupSteps, totalSteps), totalSteps };
}

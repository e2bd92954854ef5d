// BatchNorm1d/2d (torch/nn/modules/batchnorm.py): affine weight 1 / bias 0, running_mean 0,
// running_var 1, num_batches_tracked int64. In training, running statistics are updated with
// `momentum` (or the cumulative average when momentum is null) and the unbiased batch variance.
import { noGrad } from "../autograd.js";
import { empty, ones, zeros } from "../creation.js";
import { TorchError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import type { FactoryOptions } from "./conv.js";
import * as F from "./functional.js";
import { ones_, zeros_ } from "./init.js";
import { Module } from "./module.js";

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average; null = cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** Shared by BatchNorm1d/2d and torch/distributed's SyncBatchNorm (PyTorch's _BatchNorm). */
export abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  protected abstract readonly expectedDims: number[];

  constructor(
    readonly numFeatures: number,
    o: BatchNormOptions = {},
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0)
      throw new TorchError(
        `${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`,
        "ValueError",
      );
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    const f = { dtype: o.dtype, device: o.device };
    this.weight = this.registerParameter("weight", this.affine ? ones_(empty([numFeatures], f)) : null);
    this.bias = this.registerParameter("bias", this.affine ? zeros_(empty([numFeatures], f)) : null);
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer("running_mean", track ? zeros([numFeatures], f) : null);
    this.runningVar = this.registerBuffer("running_var", track ? ones([numFeatures], f) : null);
    this.numBatchesTracked = this.registerBuffer(
      "num_batches_tracked",
      track ? zeros([], { dtype: "int64", device: o.device }) : null,
    );
  }

  /** Running statistics back to mean 0, variance 1, no batches seen. */
  resetRunningStats(): void {
    if (this.runningMean) zeros_(this.runningMean);
    if (this.runningVar) ones_(this.runningVar);
    if (this.numBatchesTracked) zeros_(this.numBatchesTracked);
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    const name = this.constructor.name;
    if (!this.expectedDims.includes(shape.length))
      throw new TorchError(
        `${name}: expected ${this.expectedDims.join("D or ")}D input (got ${shape.length}D input, shape [${shape}])`,
        "ValueError",
      );
    if (shape[1] !== this.numFeatures)
      throw new TorchError(
        `${name}: input has ${shape[1]} channels but the layer has numFeatures=${this.numFeatures}`,
        "ValueError",
      );

    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== null) {
      const nbt = this.numBatchesTracked;
      noGrad(() => nbt.add_(1).dispose());
      if (this.momentum === null) factor = 1 / nbt.item();
    }
    // Batch statistics are used in training, or when there are no running statistics to use.
    const useBatchStats = this.training || this.runningMean === null;
    if (useBatchStats) {
      const perChannel = shape.reduce((a, b) => a * b, 1) / (shape[1] as number);
      if (perChannel <= 1)
        throw new TorchError(
          `${name}: expected more than 1 value per channel when training, got input shape [${shape}]`,
          "ValueError",
        );
    }
    const updateStats = !this.training || this.trackRunningStats;
    return this.normalize(x, updateStats ? this.runningMean : null, updateStats ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }

  /** The normalisation itself, after the checks and bookkeeping (SyncBatchNorm overrides it). */
  protected normalize(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, o: F.BatchNormOptions): Tensor {
    return F.batchNorm(x, runningMean, runningVar, o);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}`;
  }
}

/** Batch norm over (N,C) or (N,C,L) inputs. */
export class BatchNorm1d extends BatchNormBase {
  protected readonly expectedDims = [2, 3];
}

/** Batch norm over (N,C,H,W) inputs. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly expectedDims = [4];
}

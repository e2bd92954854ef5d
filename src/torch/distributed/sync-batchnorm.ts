// Synchronised batch norm (torch.nn.SyncBatchNorm, issue 7): training-mode batch statistics over
// the whole global batch, so W workers with batch B/W normalise as one process with batch B.
// Synchronous, so it runs inside a model's ordinary forward (ResNet's): the statistics cross
// processes through a blocking all-reduce with gradient (allReduceWithGrad).
//
// Each rank computes its per-channel mean and M2 = Σ(x − mean_r)² and writes them, with its count,
// into its own row of a W × (2C+1) table; one sum all-reduce gives every rank the whole table, and
// the rows are merged with Chan et al.'s parallel variance formula (what PyTorch's
// batch_norm_gather_stats_with_counts does): no E[x²] − E[x]² cancellation in float32, and ranks
// may hold different batch sizes. Backward sums the table's gradient over ranks (the adjoint of the
// all-reduce), so this rank's input gradient is ∂(Σ_k L_k)/∂x_r; averaged by DDP, the parameter
// gradients equal one process's on the concatenated batch. Normalisation uses the biased variance;
// the running variance gets the unbiased n/(n−1) one, as in PyTorch.
import { noGrad } from "../autograd.js";
import { full, zeros } from "../creation.js";
import { TorchError } from "../errors.js";
import { BatchNormBase, type BatchNormOptions } from "../nn/batchnorm.js";
import { batchNorm, type BatchNormOptions as FBatchNormOptions } from "../nn/functional.js";
import type { AnyModule } from "../nn/module.js";
import { cat } from "../ops.js";
import { tidy } from "../scope.js";
import type { Tensor } from "../tensor.js";
import { allReduceWithGrad } from "./gather.js";
import { getDefaultGroup, type ProcessGroup } from "./process-group.js";

export interface SyncBatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Updated in place with the global batch's mean (momentum as in PyTorch, default 0.1). */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  momentum?: number;
  eps?: number;
  group?: ProcessGroup;
}

/**
 * Batch norm in training mode with statistics over all ranks' batches; every rank must call it at
 * the same point. Blocks while the statistics are exchanged. With one rank it is batch_norm.
 */
export function syncBatchNorm(x: Tensor, o: SyncBatchNormOptions = {}): Tensor {
  const momentum = o.momentum ?? 0.1;
  const eps = o.eps ?? 1e-5;
  const g = o.group ?? getDefaultGroup();
  if (x.ndim < 2) throw new TorchError(`syncBatchNorm: expected (N,C,...) input, got shape [${x.shape}]`, "ValueError");
  if (!g || g.worldSize === 1) {
    return batchNorm(x, o.runningMean ?? null, o.runningVar ?? null, {
      weight: o.weight ?? null,
      bias: o.bias ?? null,
      training: true,
      momentum,
      eps,
    });
  }
  const c = x.shape[1] as number;
  const k = 2 * c + 1;
  const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  const bshape = [1, c, ...Array.from({ length: x.ndim - 2 }, () => 1)];
  return tidy(() => {
    const f = { dtype: x.dtype, device: x.device };
    const localMean = x.mean(dims);
    const localM2 = x.sub(localMean.view(bshape)).square().sum(dims);
    const row = cat([localMean, localM2, full([1], x.numel / c, f)]).unsqueeze(0);
    const parts = [zeros([g.rank, k], f), row, zeros([g.worldSize - g.rank - 1, k], f)].filter((t) => t.shape[0]);
    const table = allReduceWithGrad(cat(parts, 0), { group: g });
    const counts = table.narrow(1, 2 * c, 1);
    const n = counts.sum().item();
    if (n <= 1)
      throw new TorchError(
        `syncBatchNorm: expected more than 1 value per channel over all ranks, got ${n}`,
        "ValueError",
      );
    const means = table.narrow(1, 0, c);
    const mean = means.mul(counts).sum(0).div(n);
    const m2 = table
      .narrow(1, c, c)
      .sum(0)
      .add(means.sub(mean.unsqueeze(0)).square().mul(counts).sum(0));
    const variance = m2.div(n);
    let y = x.sub(mean.view(bshape)).mul(variance.add(eps).rsqrt().view(bshape));
    if (o.weight) y = y.mul(o.weight.view(bshape));
    if (o.bias) y = y.add(o.bias.view(bshape));
    noGrad(() => {
      o.runningMean?.mul_(1 - momentum).add_(mean.mul(momentum));
      o.runningVar?.mul_(1 - momentum).add_(variance.mul((momentum * n) / (n - 1)));
    });
    return y;
  });
}

export interface SyncBatchNormModuleOptions extends BatchNormOptions {
  /** The ranks that share statistics (default: the default group at forward time). */
  group?: ProcessGroup;
}

/**
 * Batch norm over (N,C,...) inputs with statistics over every rank's batch in training
 * (torch.nn.SyncBatchNorm). Same parameters, buffers and state_dict names as BatchNorm1d/2d. In
 * eval mode, or with one rank, it is plain batch norm.
 */
export class SyncBatchNorm extends BatchNormBase {
  protected readonly expectedDims = [2, 3, 4, 5];
  /** The ranks that share statistics; undefined = the default group at forward time. */
  processGroup: ProcessGroup | undefined;

  constructor(numFeatures: number, o: SyncBatchNormModuleOptions = {}) {
    super(numFeatures, o);
    this.processGroup = o.group;
  }

  protected override normalize(
    x: Tensor,
    runningMean: Tensor | null,
    runningVar: Tensor | null,
    o: FBatchNormOptions,
  ): Tensor {
    const g = this.processGroup ?? getDefaultGroup();
    if (!this.training || !o.training || !g || g.worldSize === 1) return super.normalize(x, runningMean, runningVar, o);
    return syncBatchNorm(x, { ...o, runningMean, runningVar, group: g });
  }
}

/**
 * Makes every BatchNorm in model a SyncBatchNorm (torch.nn.SyncBatchNorm.convert_sync_batchnorm)
 * and returns model. Converted in place: the modules stay the objects the model's fields and
 * Sequentials hold (ResNet's bn1, a downsample's BN) and keep their parameters and buffers, so
 * state_dict keys, optimizer references and BatchNorm1d/2d's input checks are unchanged; only
 * training-mode statistics become global. Call it before DistributedDataParallel.wrap.
 */
export function convertSyncBatchNorm<M extends AnyModule>(model: M, group?: ProcessGroup): M {
  for (const m of model.modules()) {
    if (m instanceof BatchNormBase && !(m instanceof SyncBatchNorm)) {
      // A prototype swap rather than new modules: TypeScript fields and Sequential's private
      // layer list cannot be re-pointed from outside, unlike PyTorch's setattr.
      converted.set(m, Object.getPrototypeOf(m));
      Object.setPrototypeOf(m, SyncBatchNorm.prototype);
      (m as SyncBatchNorm).processGroup = group;
    }
  }
  return model;
}

/** Modules convertSyncBatchNorm changed, with the prototype each had. */
const converted = new WeakMap<object, object>();

/**
 * Undoes convertSyncBatchNorm on model's modules (BatchNorm1d/2d again), e.g. before a model
 * trained on all ranks is evaluated or fine-tuned by rank 0 alone. Returns model.
 */
export function revertSyncBatchNorm<M extends AnyModule>(model: M): M {
  for (const m of model.modules()) {
    const proto = converted.get(m);
    if (proto) {
      Object.setPrototypeOf(m, proto);
      Reflect.deleteProperty(m, "processGroup");
      converted.delete(m);
    }
  }
  return model;
}

// Synchronised batch norm (torch.nn.SyncBatchNorm, issue 7): training-mode batch statistics over
// the whole global batch, so W workers with batch B/W normalise as one process with batch B.
// Each rank contributes per-channel Σx, Σx² and its count; they are all-gathered with gradient
// (allGatherWithGrad: backward sums the statistics' gradients over ranks, the exact adjoint) and
// summed. Variance is E[x²] − E[x]² (biased, as batch norm normalises with); the running variance
// gets the unbiased n/(n−1) correction, as in PyTorch. Async because the statistics cross processes.
import { noGrad } from "../autograd.js";
import { full } from "../creation.js";
import { TorchError } from "../errors.js";
import { batchNorm } from "../nn/functional.js";
import { cat } from "../ops.js";
import { tidy } from "../scope.js";
import type { Tensor } from "../tensor.js";
import { allGatherWithGrad } from "./gather.js";
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

/** Batch norm in training mode with statistics over all ranks' batches; every rank must call it. */
export async function syncBatchNorm(x: Tensor, o: SyncBatchNormOptions = {}): Promise<Tensor> {
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
  const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
  const bshape = [1, c, ...Array.from({ length: x.ndim - 2 }, () => 1)];
  return tidy(async () => {
    const local = cat([x.sum(dims), x.mul(x).sum(dims), full([1], x.numel / c, { dtype: x.dtype })]);
    const total = (await allGatherWithGrad(local.unsqueeze(0), { group: g })).sum(0);
    const n = total.select(0, 2 * c).item();
    const mean = total.narrow(0, 0, c).div(n);
    const variance = total.narrow(0, c, c).div(n).sub(mean.square());
    let y = x.sub(mean.view(bshape)).mul(variance.add(eps).rsqrt().view(bshape));
    if (o.weight) y = y.mul(o.weight.view(bshape));
    if (o.bias) y = y.add(o.bias.view(bshape));
    noGrad(() => {
      o.runningMean?.mul_(1 - momentum).add_(mean.mul(momentum));
      o.runningVar?.mul_(1 - momentum).add_(variance.mul((momentum * n) / Math.max(1, n - 1)));
    });
    return y;
  });
}

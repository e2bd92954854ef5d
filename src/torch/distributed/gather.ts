// All-gather with gradient: SimCLR negatives from every worker (issue 7; solo-learn's GatherLayer,
// reference/libtorch-binding-and-ts-ecosystem.md §2.4 item 4).
//
// Forward: every rank gets Z = cat(x_0, …, x_{W-1}) along dim 0. The other ranks' rows arrive as
// constants; this rank's own rows are `x` itself, so autograd reaches the local input.
// Backward: the adjoint of an all-gather is a reduce-scatter. Rank k's loss L_k depends on every
// rank's rows, so the gradient this rank's x must receive is Σ_k ∂L_k/∂x_r. A hook on Z sums
// ∂L_k/∂Z over ranks (one all-reduce inside backward); cat's backward then hands this rank its
// slice. With data-parallel gradient averaging, the parameter gradient becomes
//   (1/W) Σ_r (∂x_r/∂θ)ᵀ Σ_k ∂L_k/∂x_r = ∂/∂θ [(1/W) Σ_k L_k],
// which is the single-process gradient when L_k is the mean over rank k's share of the anchors
// (equal shards: (1/W) Σ_k L_k is the global mean), and also when every rank computes the same
// full loss on Z. Without the sum (sumGradients: false) the cross-rank negative terms are lost.
import { noGrad } from "../autograd.js";
import { cat } from "../ops.js";
import { tidy } from "../scope.js";
import type { Tensor } from "../tensor.js";
import { getDefaultGroup, type ProcessGroup } from "./process-group.js";

export interface GatherOptions {
  group?: ProcessGroup;
  /**
   * Sum the gathered tensor's gradient over ranks in backward (default true; the exact adjoint).
   * Every rank must then run backward through the result, as in any data-parallel step.
   */
  sumGradients?: boolean;
}

/**
 * All-gathers x (same shape on every rank) along dim 0, keeping the autograd path to this rank's rows.
 * Outside a distributed run it returns an alias of x.
 */
export async function allGatherWithGrad(x: Tensor, o: GatherOptions = {}): Promise<Tensor> {
  const g = o.group ?? getDefaultGroup();
  if (!g || g.worldSize === 1) return x.alias();
  return tidy(async () => {
    const parts = await g.allGather(x.detach());
    parts[g.rank] = x;
    const z = cat(parts, 0);
    if ((o.sumGradients ?? true) && x.requiresGrad) g.sumGradientInBackward(z);
    return z;
  });
}

/**
 * Σ over ranks of x, with gradient, synchronously (usable inside a model's forward, e.g. for
 * SyncBatchNorm's statistics). The adjoint of a sum all-reduce is a sum all-reduce: the gradient
 * reaching this rank's x is Σ_k ∂L_k/∂y (every rank must run backward through the result, as in
 * any data-parallel step). Outside a distributed run it returns an alias of x.
 */
export function allReduceWithGrad(x: Tensor, o: GatherOptions = {}): Tensor {
  const g = o.group ?? getDefaultGroup();
  if (!g || g.worldSize === 1) return x.alias();
  // A fresh node in the graph whose values are then overwritten by the sum: clone's backward is
  // the identity and saves nothing, so changing y's values under noGrad leaves backward exact.
  const y = x.clone();
  try {
    noGrad(() => g.allReduceSync(y, "sum"));
    if ((o.sumGradients ?? true) && y.requiresGrad) g.sumGradientInBackward(y);
  } catch (e) {
    y.dispose();
    throw e;
  }
  return y;
}

/** All-gathers x along dim 0 without gradient (labels, indices, embeddings for evaluation). */
export async function allGatherCat(x: Tensor, group?: ProcessGroup): Promise<Tensor> {
  const g = group ?? getDefaultGroup();
  if (!g || g.worldSize === 1) return x.detach().clone();
  return tidy(async () => cat(await g.allGather(x.detach()), 0));
}

// BYOL's regression loss (Grill et al. 2020, eq. 2): the mean squared error between the L2-normalised
// online prediction q and target projection z', ‖q̄ − z̄'‖² = 2 − 2·cos(q, z'). The target side gets
// no gradient (stop-gradient); the method symmetrises by swapping the views.
import { F, type Tensor, TorchError } from "../torch/index.js";

/** Mean over the batch of 2 − 2·cos(p_i, z_i); z is detached. p, z: (N, D). */
export function byolLoss(p: Tensor, z: Tensor): Tensor {
  if (p.ndim !== 2 || z.ndim !== 2 || p.shape[0] !== z.shape[0] || p.shape[1] !== z.shape[1])
    throw new TorchError(
      `byolLoss: prediction and target must both be (N,D) with equal shapes, got [${p.shape}] and [${z.shape}]`,
      "ValueError",
    );
  const cos = F.normalize(p).mul(F.normalize(z.detach())).sum(1);
  return cos.mul(-2).add(2).mean();
}

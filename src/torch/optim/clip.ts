// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_: gradients are changed
// in place; parameters without a gradient are skipped.
import { noGrad } from "../autograd.js";
import { TorchError } from "../errors.js";
import { stack } from "../ops.js";
import { tidy } from "../scope.js";
import type { Tensor } from "../tensor.js";

/**
 * Scales all gradients together so their global p-norm is at most maxNorm and returns the norm
 * before clipping. Like PyTorch the scale is maxNorm/(norm + 1e-6), capped at 1.
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  opts: { normType?: number; errorIfNonfinite?: boolean } = {},
): number {
  const p = opts.normType ?? 2;
  if (!(maxNorm >= 0)) throw new TorchError(`clipGradNorm: maxNorm must be a number ≥ 0, got ${maxNorm}`, "ValueError");
  if (!(p > 0)) throw new TorchError(`clipGradNorm: normType must be > 0 or Infinity, got ${p}`, "ValueError");
  return tidy(() =>
    noGrad(() => {
      const grads = [...params].map((t) => t.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return 0;
      const norms = grads.map((g) => (p === Infinity ? g.abs().max() : g.norm(p)));
      const total = p === Infinity ? stack(norms).max() : stack(norms).norm(p);
      const value = total.item();
      if (!Number.isFinite(value) && opts.errorIfNonfinite)
        throw new TorchError(`clipGradNorm: the total ${p}-norm of the gradients is ${value}`, "ValueError");
      const coef = Math.min(maxNorm / (value + 1e-6), 1);
      if (coef < 1) for (const g of grads) g.mul_(coef);
      return value;
    }),
  );
}

/** Clamps every gradient element into [−clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new TorchError(`clipGradValue: clipValue must be ≥ 0, got ${clipValue}`, "ValueError");
  tidy(() =>
    noGrad(() => {
      for (const t of params) t.grad?.clamp_(-clipValue, clipValue);
    }),
  );
}

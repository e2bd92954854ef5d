// AdamW (Loshchilov & Hutter, decoupled weight decay) with torch.optim.AdamW's semantics:
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
//   p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)   (amsgrad uses the running max of v).
import { TorchError } from "../errors.js";
import * as aten from "../generated/aten.js";
import type { Tensor } from "../tensor.js";
import { checkNumber, Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: ParamsInput<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    // PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2.
    super(
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...options },
      "AdamW",
    );
  }

  protected validate(o: AdamWOptions, where: string): void {
    checkNumber("AdamW", where, "lr", o.lr);
    checkNumber("AdamW", where, "eps", o.eps);
    checkNumber("AdamW", where, "weightDecay", o.weightDecay);
    if (!Array.isArray(o.betas) || o.betas.length !== 2)
      throw new TorchError(
        `AdamW: betas must be a pair [beta1, beta2] in ${where}, got ${String(o.betas)}`,
        "ValueError",
      );
    checkNumber("AdamW", where, "betas[0]", o.betas[0], 0, 0.999999999);
    checkNumber("AdamW", where, "betas[1]", o.betas[1], 0, 0.999999999);
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamWOptions>, st: ParamState): void {
    const gr = g.maximize ? grad.neg() : grad;
    const [b1, b2] = g.betas;
    if (st.step === undefined) {
      st.step = 0;
      this.keepState(st, "exp_avg", aten.zerosLike(p));
      this.keepState(st, "exp_avg_sq", aten.zerosLike(p));
      if (g.amsgrad) this.keepState(st, "max_exp_avg_sq", aten.zerosLike(p));
    }
    const step = (st.step as number) + 1;
    st.step = step;
    const m = st.exp_avg as Tensor;
    const v = st.exp_avg_sq as Tensor;
    p.mul_(1 - g.lr * g.weightDecay);
    m.mul_(b1).add_(gr, 1 - b1);
    v.mul_(b2).addcmul_(gr, gr, 1 - b2);
    const bc1 = 1 - b1 ** step;
    const bc2Sqrt = Math.sqrt(1 - b2 ** step);
    let second = v;
    if (g.amsgrad) {
      const vmax = st.max_exp_avg_sq as Tensor;
      vmax.copy_(vmax.maximum(v));
      second = vmax;
    }
    const denom = second.sqrt().div_(bc2Sqrt).add_(g.eps);
    p.addcdiv_(m, denom, -g.lr / bc1);
  }
}

// Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD):
//   d = g + wd·p;  buf = d on the first step, else momentum·buf + (1 − dampening)·d;
//   d = d + momentum·buf (Nesterov) or buf;  p ← p − lr·d   (maximize flips the sign of g).
import { TorchError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { checkNumber, Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options }, "SGD");
  }

  protected validate(o: SGDOptions, where: string): void {
    checkNumber("SGD", where, "lr", o.lr);
    checkNumber("SGD", where, "momentum", o.momentum);
    checkNumber("SGD", where, "dampening", o.dampening);
    checkNumber("SGD", where, "weightDecay", o.weightDecay);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0))
      throw new TorchError(`SGD: Nesterov momentum requires a momentum and zero dampening (${where})`, "ValueError");
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<SGDOptions>, st: ParamState): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = d.add(p, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = st.momentum_buffer as Tensor | undefined;
      if (buf === undefined) buf = this.keepState(st, "momentum_buffer", d.clone());
      else buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      d = g.nesterov ? d.add(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
  }
}

// LARS (You, Gitman & Ginsburg 2017, arXiv:1708.03888) with the semantics of Google's SimCLR
// `tf2/lars_optimizer.py` (reference/simclr.md §1.1): eeta 0.001, momentum 0.9, classic momentum,
//   g ← g + wd·w                         (unless excluded from weight decay)
//   r ← eeta·‖w‖/‖g‖ if ‖w‖>0 and ‖g‖>0, else 1   (1 when excluded from layer adaptation)
//   v ← m·v + lr·r·g;  w ← w − v   (Nesterov: w ← w − (m·v + lr·r·g))
// With classicMomentum false the trust ratio is taken on the momentum update instead:
//   v ← m·v + g;  u ← v (Nesterov: m·v + g);  r ← eeta·‖w‖/‖u‖;  w ← w − lr·r·u.
// Exclusions: google's build_optimizer excludes 'batch_normalization' and 'bias' from weight decay,
// and layer adaptation defaults to the same list, so BN and bias get neither (simclr.md §1.1).
import { TorchError } from "../errors.js";
import * as aten from "../generated/aten.js";
import type { Tensor } from "../tensor.js";
import { checkNumber, Optimizer, type ParamGroup, type ParamState, type ParamsInput } from "./optimizer.js";

/** Decides whether a parameter is excluded; `name` is its state_dict key when it was given. */
export type ParamPredicate = (name: string | undefined, param: Tensor) => boolean;

/**
 * Default exclusion: batch-norm and bias parameters. In torchvision-style networks every 1-D
 * parameter is a BN γ/β or a bias (BN layers in `downsample.1` have no "bn" in their name, so the
 * shape rule is what catches them); names with "bias", "bn<k>" or "batch_norm(alization)" also count.
 */
export const isBatchNormOrBias: ParamPredicate = (name, p) =>
  p.ndim <= 1 || (name !== undefined && /(^|\.)(bias|bn\d*|batch_?norm\w*)(\.|$)/i.test(name));

export interface LARSOptions {
  lr: number;
  /** google default 0.9 */
  momentum: number;
  weightDecay: number;
  /** Trust coefficient; google's EETA_DEFAULT = 0.001. */
  eta: number;
  nesterov: boolean;
  /** google's default True: lr and trust ratio go inside the momentum buffer. */
  classicMomentum: boolean;
  /** Parameters that get no weight decay. Default: isBatchNormOrBias. */
  excludeFromWeightDecay: ParamPredicate;
  /** Parameters whose trust ratio is fixed at 1. Default: the weight-decay exclusion. */
  excludeFromLayerAdaptation: ParamPredicate | undefined;
}

export class LARS extends Optimizer<LARSOptions> {
  constructor(params: ParamsInput<LARSOptions>, options: Partial<LARSOptions> & { lr: number }) {
    super(
      params,
      {
        momentum: 0.9,
        weightDecay: 0,
        eta: 0.001,
        nesterov: false,
        classicMomentum: true,
        excludeFromWeightDecay: isBatchNormOrBias,
        excludeFromLayerAdaptation: undefined,
        ...options,
      },
      "LARS",
    );
  }

  protected validate(o: LARSOptions, where: string): void {
    checkNumber("LARS", where, "lr", o.lr);
    checkNumber("LARS", where, "momentum", o.momentum);
    checkNumber("LARS", where, "weightDecay", o.weightDecay);
    checkNumber("LARS", where, "eta", o.eta);
    if (typeof o.excludeFromWeightDecay !== "function")
      throw new TorchError(
        `LARS: excludeFromWeightDecay must be a function (name, param) => boolean in ${where}`,
        "TypeError",
      );
  }

  /** Whether a parameter gets weight decay / layer adaptation (for logging and tests). */
  exclusions(p: Tensor): { weightDecay: boolean; layerAdaptation: boolean } {
    for (const g of this.paramGroups) {
      const i = g.params.indexOf(p);
      if (i >= 0) return flags(g, p, g.names[i]);
    }
    throw new TorchError("LARS.exclusions: the tensor is not a parameter of this optimizer", "ValueError");
  }

  protected update(
    w: Tensor,
    grad: Tensor,
    g: ParamGroup<LARSOptions>,
    st: ParamState,
    name: string | undefined,
  ): void {
    const f = flags(g, w, name);
    const gr = f.weightDecay && g.weightDecay !== 0 ? grad.add(w, g.weightDecay) : grad;
    let v = st.momentum_buffer as Tensor | undefined;
    if (v === undefined) v = this.keepState(st, "momentum_buffer", aten.zerosLike(w));
    if (g.classicMomentum) {
      // Scaled gradient lr·r·g, with r as a 0-d tensor so nothing waits on a device sync.
      const scaled = f.layerAdaptation ? gr.mul(trustRatio(w, gr, g.eta)).mul_(g.lr) : gr.mul(g.lr);
      v.mul_(g.momentum).add_(scaled);
      w.sub_(g.nesterov ? v.mul(g.momentum).add_(scaled) : v);
    } else {
      v.mul_(g.momentum).add_(gr);
      const u = g.nesterov ? v.mul(g.momentum).add_(gr) : v;
      if (f.layerAdaptation) w.sub_(u.mul(trustRatio(w, u, g.eta)).mul_(g.lr));
      else w.sub_(u, g.lr);
    }
  }
}

function flags(g: ParamGroup<LARSOptions>, p: Tensor, name: string | undefined) {
  const noDecay = g.excludeFromWeightDecay(name, p);
  const noAdapt = (g.excludeFromLayerAdaptation ?? g.excludeFromWeightDecay)(name, p);
  return { weightDecay: !noDecay, layerAdaptation: !noAdapt };
}

/** eta·‖w‖/‖u‖ where both norms are positive, else 1 (google's nested tf.where). */
function trustRatio(w: Tensor, u: Tensor, eta: number): Tensor {
  const wn = w.norm();
  const un = u.norm();
  const ok = wn.gt(0).logicalAnd(un.gt(0));
  // A zero norm makes inf/NaN only in the branch that where() discards.
  return aten.whereScalarOther(ok, wn.mul(eta).div(un), 1);
}

// BYOL (Grill et al. 2020, "Bootstrap your own latent"), a method on the shared pretraining harness:
// an online network (encoder f_θ → projector g_θ → predictor q_θ) learns to predict a target
// network's projection of the other view (f_ξ → g_ξ, no predictor), with no negatives. The target is
// an exponential moving average of the online weights, ξ ← τξ + (1−τ)θ after every step, with τ
// rising from τ_base to 1 on a cosine: τ = 1 − (1 − τ_base)·(cos(πk/K) + 1)/2 (paper §3.2, eq. 1
// and appendix J). Loss: 2 − 2·cos(q_θ(z_θ), z'_ξ), symmetrised over the two views (eq. 2).
//
// The trained module holds the online network only (state-dict keys encoder.*, projector.*,
// predictor.*, so evaluation loads encoder.* as for SimCLR); the target is resume state
// (target.* in the checkpoint's training file). BatchNorm statistics are per worker, as in DDP.
import { byolLoss } from "../losses/index.js";
import { type Encoder, EncoderWithHead, MlpHead } from "../models/heads.js";
import { arange, cat, F, noGrad, type Tensor } from "../torch/index.js";
import { Module } from "../torch/nn/index.js";
import { collapseReason, type RepresentationStats } from "./monitors.js";
import type { SelfSupervised, SslStep } from "./pretrain.js";
import type { StepContext } from "./trainer.js";

/** τ at step k of K: τ_base at the start, 1 at the end (BYOL appendix J). */
export const emaDecay = (base: number, k: number, K: number): number =>
  1 - ((1 - base) * (Math.cos((Math.PI * k) / K) + 1)) / 2;

/** target ← τ·target + (1−τ)·online for every parameter; buffers (BN statistics) are copied. */
export function emaUpdate(target: Module, online: Module, tau: number): void {
  const src = new Map([...online.namedParameters(), ...online.namedBuffers()]);
  noGrad(() => {
    for (const [name, p] of target.namedParameters()) {
      p.mul_(tau).dispose();
      p.add_(src.get(name) as Tensor, 1 - tau).dispose();
    }
    for (const [name, b] of target.namedBuffers()) b.copy_(src.get(name) as Tensor).dispose();
  });
}

export class ByolModel extends Module implements SelfSupervised {
  readonly method = "BYOL pretraining";
  /** The target network f_ξ → g_ξ: the online encoder and projector's shapes, keys encoder.*, projector.*. */
  readonly target: EncoderWithHead<MlpHead>;

  constructor(
    readonly encoder: Encoder,
    readonly projector: MlpHead,
    readonly predictor: MlpHead,
    targetEncoder: Encoder,
    readonly tauBase: number,
  ) {
    super();
    this.registerModule("encoder", encoder);
    this.registerModule("projector", projector);
    this.registerModule("predictor", predictor);
    // Not registered: the target is neither optimised nor wrapped by DDP. It starts as a copy.
    const p = projector;
    this.target = new EncoderWithHead(targetEncoder, new MlpHead(p.inFeatures, p.hidden, p.out), "projector");
    // The target's keys (encoder.*, projector.*) are the online network's, so the online model is the source.
    emaUpdate(this.target, this, 0);
  }

  forward(x: Tensor): Tensor {
    return this.predictor.call(this.projector.call(this.encoder.features(x)));
  }

  sslStep(v1: Tensor, v2: Tensor, ctx: StepContext): SslStep {
    const N = ctx.local;
    const z = this.projector.call(this.encoder.features(cat([v1, v2]))); // one pass: BN sees both views
    const q = this.predictor.call(z);
    const t = noGrad(() => this.target.call(cat([v1, v2])));
    const [q1, q2] = [q.narrow(0, 0, N), q.narrow(0, N, N)];
    const [t1, t2] = [t.narrow(0, 0, N), t.narrow(0, N, N)];
    const loss = byolLoss(q1, t2).add(byolLoss(q2, t1));
    // Positive-pair retrieval: is view 2's target the nearest to view 1's prediction?
    const acc = noGrad(() =>
      F.normalize(q1)
        .matmul(F.normalize(t2).t())
        .argmax(1)
        .eq(arange(0, N, 1, { device: q1.device }))
        .float()
        .mean()
        .item(),
    );
    return { loss, contrastiveAccuracy: acc, z: [z.narrow(0, 0, N), z.narrow(0, N, N)] };
  }

  afterStep(ctx: StepContext): void {
    emaUpdate(this.target, this, emaDecay(this.tauBase, ctx.step + 1, ctx.totalSteps));
  }

  warnings(_losses: number[], stats: RepresentationStats | undefined): string[] {
    const c = stats ? collapseReason(stats) : null;
    return c ? [c] : [];
  }

  extraState(): Map<string, Tensor> {
    return new Map([...this.target.stateDict()].map(([k, v]) => [`target.${k}`, v]));
  }

  loadExtraState(st: Map<string, Tensor>): void {
    const t = new Map([...st].filter(([k]) => k.startsWith("target.")).map(([k, v]) => [k.slice(7), v]));
    if (t.size > 0) this.target.loadStateDict(t);
  }

  override dispose(): void {
    this.target.dispose();
    super.dispose();
  }
}

/** Builds a BYOL model: two encoders from `makeEncoder` (the target starts as the online copy). */
export function byolModel(
  makeEncoder: () => Encoder,
  head: { hidden: number; out: number },
  o: { tau: number; predictorHidden: number },
): ByolModel {
  const enc = makeEncoder();
  const hidden = head.hidden > 0 ? head.hidden : enc.featureDim;
  const projector = new MlpHead(enc.featureDim, hidden, head.out);
  const predictor = new MlpHead(head.out, o.predictorHidden > 0 ? o.predictorHidden : hidden, head.out);
  return new ByolModel(enc, projector, predictor, makeEncoder(), o.tau);
}

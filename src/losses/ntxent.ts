// NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020, eq. 1):
//   ℓ(i,j) = −log[ exp(sim(z_i,z_j)/τ) / Σ_{k≠i} exp(sim(z_i,z_k)/τ) ],  sim = cosine,
// averaged over all 2N anchors, so both views serve as anchors and each anchor's own similarity
// is left out of the denominator (google-research/simclr tf2/objective.py masks it the same way).
// google's code returns loss_a + loss_b (each a mean over N), i.e. twice this value; lightly and
// sthalles average over the 2N anchors as here.
import { arange, cat, F, type Tensor, TorchError, tidy } from "../torch/index.js";
import { LOSS_DEFAULTS } from "./defaults.js";

/** The global batch gathered from all workers, for negatives across processes. */
export interface NtXentGlobalBatch {
  /** First views of the whole global batch (M,D), in rank order. */
  z1: Tensor;
  /** Second views of the whole global batch (M,D), same order. */
  z2: Tensor;
  /** Row where this worker's N samples start in the global batch (rank·N for equal shards). */
  offset: number;
}

export interface NtXentOptions {
  /** τ (default LOSS_DEFAULTS.ntxent.temperature; the paper and lightly use 0.5, short runs 0.1–0.2, simclr.md §4). */
  temperature?: number;
  /**
   * Negatives from other workers. The local rows of the gathered batch are replaced by the local
   * z1/z2 so that gradients flow through this worker's own samples even when the gather did not
   * carry gradients; a gather that does (solo-learn's GatherLayer) adds the rest. The loss is the
   * mean over the LOCAL 2N anchors, so averaging gradients over W workers gives the global mean.
   */
  global?: NtXentGlobalBatch;
}

export interface NtXentOutput {
  loss: Tensor;
  /** Similarities/τ of each local anchor (2N rows: view 1 then view 2) to all 2M candidates, self masked. */
  logits: Tensor;
  /** Column of each anchor's positive (int64, 2N). argmax(logits) == targets is the contrastive accuracy. */
  targets: Tensor;
}

// google-research/simclr objective.py subtracts LARGE_NUM = 1e9 from self-similarities.
const LARGE_NUM = 1e9;

/** NT-Xent of two views z1, z2 (N,D) (projection-head outputs; normalised here). */
export function ntXent(z1: Tensor, z2: Tensor, o: NtXentOptions = {}): Tensor {
  return tidy(() => ntXentWithLogits(z1, z2, o).loss);
}

/** NT-Xent plus its logits and positive indices (for a contrastive-accuracy monitor). */
export function ntXentWithLogits(z1: Tensor, z2: Tensor, o: NtXentOptions = {}): NtXentOutput {
  const tau = o.temperature ?? LOSS_DEFAULTS.ntxent.temperature;
  if (!(Number.isFinite(tau) && tau > 0))
    throw new TorchError(`ntXent: temperature must be > 0, got ${tau}`, "ValueError");
  const s1 = z1.shape;
  const s2 = z2.shape;
  if (s1.length !== 2 || s2.length !== 2 || s1[0] !== s2[0] || s1[1] !== s2[1])
    throw new TorchError(
      `ntXent: z1 and z2 must both be (N,D) with equal shapes, got [${s1}] and [${s2}]`,
      "ValueError",
    );
  const n = s1[0] as number;
  if (n < 1) throw new TorchError("ntXent: empty batch", "ValueError");
  const { g1, g2, offset } = o.global ? splice(z1, z2, o.global) : { g1: z1, g2: z2, offset: 0 };
  const total = g1.shape[0] as number;
  if (n === 1 && total === 1)
    throw new TorchError("ntXent: one pair has no negatives; use a batch of at least 2", "ValueError");

  const anchors = F.normalize(cat([z1, z2]), 2, 1);
  const candidates = F.normalize(cat([g1, g2]), 2, 1);
  const sim = anchors.matmul(candidates.t()).div(tau);
  // Anchor r < N is global row offset+r of view 1; anchor N+r is row total+offset+r (view 2).
  const local = arange(0, n, 1, { device: z1.device }).add(offset);
  const selfIdx = cat([local, local.add(total)]);
  const targets = cat([local.add(total), local]);
  const logits = sim.maskedFill(F.oneHot(selfIdx, 2 * total).bool(), -LARGE_NUM);
  return { loss: F.crossEntropy(logits, targets), logits, targets };
}

function splice(z1: Tensor, z2: Tensor, g: NtXentGlobalBatch) {
  const n = z1.shape[0] as number;
  const d = z1.shape[1] as number;
  const [m, gd] = g.z1.shape;
  if (g.z1.ndim !== 2 || gd !== d || g.z2.shape.join() !== g.z1.shape.join())
    throw new TorchError(
      `ntXent: global z1/z2 must both be (M,${d}), got [${g.z1.shape}] and [${g.z2.shape}]`,
      "ValueError",
    );
  const total = m as number;
  if (!(Number.isInteger(g.offset) && g.offset >= 0 && g.offset + n <= total))
    throw new TorchError(
      `ntXent: global offset ${g.offset} + local batch ${n} must fit in the global batch of ${total}`,
      "ValueError",
    );
  const put = (glob: Tensor, loc: Tensor) =>
    cat([glob.narrow(0, 0, g.offset), loc, glob.narrow(0, g.offset + n, total - g.offset - n)]);
  return { g1: put(g.z1, z1), g2: put(g.z2, z2), offset: g.offset };
}

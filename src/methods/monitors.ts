// Representation-collapse monitors for contrastive pretraining, computed on a detached batch of the
// two views' projections (or features). They separate the two ways SimCLR fails silently:
//  - "no learning": the NT-Xent loss sits at ln(2N−1), the value when every similarity is equal
//    (all 2N−1 candidates equally likely), e.g. 5.545 = ln 256 in Spijkervet/SimCLR#30;
//  - "dimensional/complete collapse": all embeddings move to one point, so positives align perfectly
//    but the spread across the batch vanishes and uniformity goes to 0.
// Alignment and uniformity follow Wang & Isola (2020): align = E‖f(x)−f(y)‖² over positive pairs
// (0 = identical views), uniformity = log E exp(−2‖f(x)−f(y)‖²) over all pairs (0 = one point,
// about −4 for well-spread features on the sphere).
import { F, matmul, noGrad, type Tensor, tidy } from "../torch/index.js";

export interface RepresentationStats {
  /** mean squared distance between the L2-normalised views of the same image (0 … 4) */
  alignment: number;
  /** log mean exp(−2‖zi−zj‖²) over distinct pairs of normalised embeddings (≤ 0; 0 = collapsed) */
  uniformity: number;
  /** mean over dimensions of the per-dimension std of the normalised embeddings (0 = collapsed) */
  spread: number;
  /** mean cosine similarity between different images (1 = collapsed) */
  negativeCosine: number;
  /** mean cosine similarity between the two views of one image */
  positiveCosine: number;
}

/** Statistics of two views' embeddings z1, z2 (N×D each, row i of both from image i). */
export function representationStats(z1: Tensor, z2: Tensor): RepresentationStats {
  if (z1.ndim !== 2 || z1.shape.join() !== z2.shape.join())
    throw new RangeError(
      `representationStats: expected two N×D tensors of one shape, got [${z1.shape}] and [${z2.shape}]`,
    );
  const n = z1.shape[0]!;
  if (n < 2) throw new RangeError("representationStats needs at least 2 samples");
  return tidy(() =>
    noGrad(() => {
      const a = F.normalize(z1.double(), 2, 1);
      const b = F.normalize(z2.double(), 2, 1);
      const pos = a.mul(b).sum([1]);
      const positiveCosine = pos.mean().item();
      const alignment = a.sub(b).square().sum([1]).mean().item();
      const all = a; // uniformity over one view avoids counting the positive pair as a negative
      const sim = matmul(all, all.t());
      const offDiag = sim.sum().item() - n; // diagonal of a unit-norm Gram matrix is 1
      const negativeCosine = offDiag / (n * (n - 1));
      // ‖zi−zj‖² = 2 − 2·cos for unit vectors; exclude i = j (distance 0) from the mean.
      const e = sim.mul(4).sub(4).exp();
      const sumOff = e.sum().item() - n; // the diagonal terms are exp(0) = 1
      const uniformity = Math.log(Math.max(sumOff / (n * (n - 1)), 1e-300));
      const spread = all.std([0]).mean().item();
      return { alignment, uniformity, spread, negativeCosine, positiveCosine };
    }),
  );
}

/** ln(2N−1): the NT-Xent loss when all similarities are equal, for a batch of N images (2N views). */
export const chanceContrastiveLoss = (batchSize: number): number => Math.log(2 * batchSize - 1);

/**
 * Checks one epoch of pretraining. Returns warnings (empty when healthy). `lossHistory` holds the mean
 * loss per epoch so far, the current one last.
 */
export function contrastiveWarnings(
  lossHistory: number[],
  batchSize: number,
  stats: RepresentationStats | undefined,
  opts: { epochsBeforeLossCheck?: number; tol?: number } = {},
): string[] {
  const warnings: string[] = [];
  const chance = chanceContrastiveLoss(batchSize);
  const after = opts.epochsBeforeLossCheck ?? 2;
  const tol = opts.tol ?? 0.01;
  const loss = lossHistory.at(-1);
  if (loss !== undefined && lossHistory.length >= after && Math.abs(loss - chance) <= tol * chance)
    warnings.push(
      `the NT-Xent loss ${loss.toFixed(4)} sits at ln(2N−1) = ln(${2 * batchSize - 1}) = ${chance.toFixed(4)} ` +
        `after ${lossHistory.length} epochs: every candidate looks equally similar, so nothing is being learned. ` +
        "Check L2 normalisation before the loss, the positive-pair indexing/masks, and the LR (Spijkervet/SimCLR#30).",
    );
  if (stats) {
    const collapsed = collapseReason(stats);
    if (collapsed) warnings.push(collapsed);
  }
  return warnings;
}

/** Returns why the embeddings look collapsed, or null. Thresholds are for L2-normalised embeddings. */
export function collapseReason(stats: RepresentationStats): string | null {
  // A healthy D-dim embedding on the sphere has per-dimension std ≈ 1/√D (0.088 at D=128) and
  // uniformity well below −1; a collapsed one has std → 0, uniformity → 0 and negatives' cosine → 1.
  if (stats.spread < 1e-3 || stats.uniformity > -0.05 || stats.negativeCosine > 0.98)
    return (
      `representations collapsed: feature spread ${stats.spread.toExponential(2)}, uniformity ` +
      `${stats.uniformity.toFixed(3)}, mean cosine between different images ${stats.negativeCosine.toFixed(3)} ` +
      "(all embeddings near one point). Check the temperature (too high), the LR (too high) and that both views " +
      "are augmented differently; a projection head with BN also helps."
    );
  return null;
}

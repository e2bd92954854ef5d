// The demo's bias study: about 3 minutes on 2 idle cores (45 cells of ~3 s each). Synthetic faces
// with two groups, the seed's five splits from 50/50 to 10/90, three losses, three seeds (so the
// report shows across-seed spread); group "B" has a planted effect (its people
// look more alike), so the report shows what a detected effect looks like next to what is not one.
import { join, resolve } from "node:path";
import { type BiasConfig, parseBiasConfig } from "./config.js";
import { runBiasStudy, type StudyResult } from "./grid.js";

/**
 * The data of the demo's design at any size: synthetic faces of two groups, the second group's people
 * made `strength` more alike (planted: less between-identity spread), so a study should find it.
 */
export const plantedPairData = (
  groups: [string, string],
  strength: number,
  size: { imageSize: number; identities: number; copies: number; unseen: number },
) => ({ source: "synthetic" as const, attribute: "group", groups, ...size, planted: { group: groups[1], strength } });

export function biasDemoConfig(): BiasConfig {
  return parseBiasConfig({
    name: "bias-demo",
    description:
      "Demo: synthetic faces, group B's people made 40% more alike (planted), B's share of training identities 50% → 10%, three losses.",
    data: plantedPairData(["A", "B"], 0.4, { imageSize: 32, identities: 80, copies: 12, unseen: 80 }),
    splits: { focus: "B", levels: [0.5, 0.4, 0.3, 0.2, 0.1] },
    losses: [
      "softmax",
      { name: "ring", weight: 0.01 },
      { name: "sphereface-r", label: "opensphere", scale: 16, multiplier: 1.35 },
    ],
    seeds: [0, 1, 2],
    model: { backbone: "convnet", width: 12, embeddingDim: 64 },
    train: { epochs: 8, batchSize: 48, lr: 0.05, warmupEpochs: 1 },
    eval: { bootstrap: 500, minGroupSamples: 20 },
  });
}

/** Runs (or resumes) the demo study under runsRoot; the study dir holds report.json for `facelab report`. */
export async function runBiasDemo(o: { runsRoot: string; log?: (m: string) => void }): Promise<StudyResult> {
  const cfg = biasDemoConfig();
  return runBiasStudy(cfg, { dir: join(resolve(o.runsRoot), cfg.name), log: o.log });
}

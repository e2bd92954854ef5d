// What a recipe's pretraining gains over its own random init, for the "beats random init on Fashion-MNIST"
// tests (recipe-budget.test.ts, byol.test.ts): a recipe from configs/ with budget `--set`s, its encoder scored before and
// after pretraining as the recipe says; the test asserts the margin.
import { fileURLToPath } from "node:url";
import { type PretrainEpoch, pretrain } from "../../../src/methods/pretrain.js";
import { createPretrainModel } from "../../../src/methods/registry.js";
import { type SimclrConfig, SimclrConfigSchema } from "../../../src/methods/simclr-config.js";
import { simclrViews } from "../../../src/methods/views.js";
import type { Encoder } from "../../../src/models/heads.js";
import { loadConfig } from "../../../src/runs/config.js";
import { loadSimclrData } from "../../../src/studies/simclr/data.js";
import { buildEncoder } from "../../../src/studies/simclr/study.js";
import { setupCompute } from "../../../src/torch/device.js";
import { manualSeed } from "../../../src/torch/index.js";
import { type FrozenScores, frozenScores } from "../../methods/frozen-scores.js";

export interface RecipeGain {
  cfg: SimclrConfig;
  random: FrozenScores;
  trained: FrozenScores;
  history: PretrainEpoch[];
}

/**
 * configs/<recipe>.yaml with `sets`, on its first labelled task: frozen scores (kNN k 20, SGD linear probe of
 * 20 epochs) of the seeded random-init encoder, then of the same encoder after the recipe's pretraining.
 */
export async function recipeGain(recipe: string, sets: string[], o: { bnPool?: boolean } = {}): Promise<RecipeGain> {
  const cfg = loadConfig(SimclrConfigSchema, {
    file: fileURLToPath(new URL(`../../../configs/${recipe}.yaml`, import.meta.url)),
    sets,
  });
  const data = await loadSimclrData(cfg);
  const task = data.tasks[0]!;
  const score = (enc: Encoder) =>
    frozenScores(
      enc,
      task.train,
      task.val,
      task.classNames.length,
      { epochs: 20, batchSize: 128 },
      // both encoders' BatchNorm statistics re-estimated on the pool (byol.test.ts)
      o.bnPool ? { bnPool: data.pool } : undefined,
    );
  manualSeed(cfg.seed);
  const model = createPretrainModel(cfg, () => buildEncoder(cfg, data.channels));
  try {
    const random = await score(model.encoder);
    const r = await pretrain(model, {
      cfg: cfg.pretrain,
      compute: setupCompute(cfg),
      seed: cfg.seed,
      pool: data.pool,
      views: simclrViews(cfg.pretrain.augment),
      warn: () => {},
    });
    return { cfg, random, trained: await score(model.encoder), history: r.history };
  } finally {
    model.dispose();
    data.dispose();
  }
}

// The SimCLR stage of `facelab demo`: the face study on synthetic faces (no external data) in a few
// minutes — pretraining, then gender and race by linear probe / fine-tune vs random-init / from-scratch
// baselines, with the run directory's summary, metrics and charts for the report.
// The number of pretraining epochs is fitted to the time budget from a short timing of this machine
// (the rest of the recipe is fixed), and the choice is recorded in the summary.
import { resolve } from "node:path";
import { ntXent } from "../../losses/index.js";
import { simclrModel } from "../../methods/simclr.js";
import { type SimclrConfig, SimclrConfigSchema } from "../../methods/simclr-config.js";
import { loadConfig } from "../../runs/index.js";
import { manualSeed, randn, tidy } from "../../torch/index.js";
import { LARS } from "../../torch/optim/lars.js";
import { buildEncoder, runSimclrStudy, type SimclrStudyResult } from "./study.js";

export interface SimclrDemoOptions {
  runsRoot: string;
  /** wall-clock budget for the whole stage, seconds (default 300: ~14 pretraining epochs on an idle 2-core machine) */
  budgetSeconds?: number;
  log?: (msg: string) => void;
}

/** Seconds for one pretraining step of this config on this machine (median of a few timed steps). */
function timeStep(cfg: SimclrConfig): number {
  manualSeed(0);
  const model = simclrModel(buildEncoder(cfg, 3), cfg.head);
  const opt = new LARS(model.namedParameters(), { lr: 0.1 });
  const B = cfg.pretrain.batchSize;
  const s = cfg.data.imageSize;
  const times: number[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      tidy(() => {
        const z = model.call(randn([2 * B, 3, s, s]));
        const loss = ntXent(z.narrow(0, 0, B), z.narrow(0, B, B), { temperature: cfg.pretrain.temperature });
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
      times.push((performance.now() - t0) / 1000);
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  return times.slice(1).sort((a, b) => a - b)[1]!; // the first step warms up allocators
}

export async function runSimclrDemo(o: SimclrDemoOptions): Promise<SimclrStudyResult & { epochs: number }> {
  const log = o.log ?? ((m: string) => console.log(m));
  const budget = o.budgetSeconds ?? 300;
  const file = resolve(new URL("../../../configs/simclr-faces-synthetic.yaml", import.meta.url).pathname);
  // The recipe with the evaluation trimmed to fit a demo and moved to the semi-supervised regime SimCLR
  // is for: 10% of the 30% fine-tuning split (~70 labelled faces per task), 600 validation faces.
  // One block per stage (model.layers [1,1,1,1], as simclr-fmnist): about twice the pretraining steps in
  // the same time. The skin-tone groups differ mostly in lightness, so brightness jitter is the colour
  // augmentation that erases the race cue, not hue or saturation (#15 item 4). Measured (2026-12-08, seed 0,
  // 12 epochs, one contended thread; probe vs random init, fine-tune vs from scratch; 72 labels, 600 faces):
  //   jitter (brightness, contrast, saturation, hue) | gender probe | gender FT | race probe | race FT
  //   0.4, 0.4, 0.4, 0.1 (the recipe's)                |  87.7       |  88.5     |  74.8      |  74.2
  //   0.4, 0.4, 0,   0   (no hue/saturation)           |  82.3       |  88.5     |  64.2      |  82.2
  //   0,   0.4, 0.4, 0.1 (no brightness)               |  75.0       |  81.2     |  85.2      |  87.0
  //   0.1, 0.4, 0.4, 0.1 (weak brightness: the demo's) |  78.0       |  85.0     |  85.5      |  85.8
  //   baselines (random init / from scratch)           |  62.3       |  73.0     |  68.5      |  86.3
  // With weak brightness the probe gains on both tasks (+15.7, +17.0). Fine-tuning at the same base LR as
  // from scratch (0.1; the default 0.05 is SimCLR's B.5 setting) gave gender 85.2 and race 86.7 vs 86.3: a
  // tie on race, whose cue a network trained from scratch picks up from 72 labels. (With the recipe's
  // jitter that LR lifted race fine-tuning from 74.2 to 81.3, still below scratch.)
  const base = loadConfig(SimclrConfigSchema, {
    file,
    sets: [
      "name=simclr-demo-faces",
      "model.layers=[1,1,1,1]",
      "pretrain.augment.jitter={brightness: 0.1, contrast: 0.4, saturation: 0.4, hue: 0.1}",
      "evaluate.finetune.lr=0.1",
      "data.evalLimit=600",
      "evaluate.labelFractions=[0.1]",
      "evaluate.finetune.epochs=20",
      "evaluate.scratch.epochs=20",
      "evaluate.finetune.minSteps=60",
      "evaluate.scratch.minSteps=60",
    ],
  });
  const step = timeStep(base);
  const stepsPerEpoch = Math.floor(base.data.syntheticCount / base.pretrain.batchSize);
  // Pretraining gets about half the budget; the evaluations (2 tasks × 4 methods) the rest.
  const epochs = Math.max(
    3,
    Math.min(base.pretrain.epochs, Math.floor((0.5 * budget) / (step * stepsPerEpoch * 1.15))),
  );
  log(`SimCLR demo: ${(step * 1000).toFixed(0)} ms per step here, pretraining for ${epochs} epochs`);
  const cfg: SimclrConfig = {
    ...base,
    pretrain: {
      ...base.pretrain,
      epochs,
      warmupEpochs: Math.min(base.pretrain.warmupEpochs, Math.max(1, Math.floor(epochs / 5))),
    },
  };
  const r = await runSimclrStudy(cfg, { runsRoot: o.runsRoot, log });
  return { ...r, epochs };
}

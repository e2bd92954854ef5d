// Methods by the name a config gives them. Self-supervised pretraining (`pretrain.method`): each entry
// builds the trained model from an encoder factory and the config; `pretrain()` (pretrain.ts) runs any
// of them on the shared Trainer. Supervised face recognition is the other method on the Trainer
// (recognition/train.ts), chosen by the `facelab train` command rather than a config name.
import type { Encoder } from "../models/heads.js";
import { byolModel } from "./byol.js";
import type { SelfSupervised } from "./pretrain.js";
import { simclrModel } from "./simclr.js";
import type { SimclrConfig } from "./simclr-config.js";

export type PretrainMethodName = SimclrConfig["pretrain"]["method"];

export const PRETRAIN_METHODS: Record<
  PretrainMethodName,
  (makeEncoder: () => Encoder, cfg: SimclrConfig) => SelfSupervised
> = {
  simclr: (makeEncoder, cfg) => simclrModel(makeEncoder(), cfg.head),
  byol: (makeEncoder, cfg) => {
    // Fine-tuning "from the first projection layer" reads SimCLR's head.*; BYOL's projector differs.
    if (cfg.evaluate.finetune.fromProjectionLayer !== 0)
      throw new Error(
        "pretrain.method byol: evaluate.finetune.fromProjectionLayer must be 0 (BYOL has no SimCLR projection head)",
      );
    return byolModel(makeEncoder, cfg.head, cfg.pretrain.byol);
  },
};

/** The pretraining model of a config's method. */
export function createPretrainModel(cfg: SimclrConfig, makeEncoder: () => Encoder): SelfSupervised {
  return PRETRAIN_METHODS[cfg.pretrain.method](makeEncoder, cfg);
}

// The online evaluation every self-supervised method shares (SimCLR, BYOL): kNN accuracy of the
// encoder's features h and an online linear probe trained on detached features (google's
// lineareval_while_pretraining). The probe's weights persist across epochs and go into checkpoints
// (as probe.*), so a resumed run's monitors continue exactly.

import { knnAccuracy } from "../eval/knn.js";
import type { Encoder } from "../models/heads.js";
import type { Tensor } from "../torch/index.js";
import { tidy } from "../torch/index.js";
import { Linear } from "../torch/nn/index.js";
import { extractFeatures, labelTensor } from "./features.js";
import type { PretrainConfig } from "./simclr-config.js";
import { linearProbe } from "./supervised.js";

/** Labelled images for the monitors: a kNN bank / probe training set and a query set. */
export interface MonitorData {
  bank: { images: Tensor; labels: Int32Array };
  query: { images: Tensor; labels: Int32Array };
  numClasses: number;
}

export interface OnlineScores {
  knnAccuracy?: number;
  onlineProbeAccuracy?: number;
}

export class OnlineEval {
  readonly probe: Linear | undefined;

  constructor(
    readonly encoder: Encoder,
    readonly mon: MonitorData | undefined,
    readonly cfg: PretrainConfig,
  ) {
    this.probe = mon ? new Linear(encoder.featureDim, mon.numClasses) : undefined;
  }

  /** Whether epoch (0-based) gets the monitors. */
  due(epoch: number): boolean {
    return this.mon !== undefined && ((epoch + 1) % this.cfg.monitor.every === 0 || epoch + 1 === this.cfg.epochs);
  }

  /** The random-init kNN level (grad-free, eval-mode: changes no state). */
  async initialKnn(): Promise<number | undefined> {
    if (!this.mon || !this.cfg.monitor.knn) return undefined;
    return (await this.scores(0, false)).knnAccuracy;
  }

  /** kNN accuracy and one short round of online-probe training on the labelled bank. */
  async scores(seed: number, withProbe = true): Promise<OnlineScores> {
    const mon = this.mon;
    if (!mon) return {};
    const cfg = this.cfg;
    return tidy(async () => {
      const bank = extractFeatures(this.encoder, mon.bank.images);
      const query = extractFeatures(this.encoder, mon.query.images);
      const out: OnlineScores = {};
      if (cfg.monitor.knn)
        out.knnAccuracy = knnAccuracy(bank, labelTensor(mon.bank.labels), query, mon.query.labels, {
          k: cfg.monitor.knnK,
          temperature: cfg.monitor.knnTemperature,
          numClasses: mon.numClasses,
        });
      if (withProbe && cfg.monitor.onlineProbe && this.probe) {
        const r = await linearProbe(bank, mon.bank.labels, query, mon.query.labels, mon.numClasses, {
          epochs: 3,
          batchSize: 128,
          lr: 0.05,
          weightDecay: 0,
          seed,
          guards: false,
          init: this.probe,
        });
        out.onlineProbeAccuracy = r.final.accuracy;
      }
      return out;
    });
  }

  state(): Map<string, Tensor> {
    return new Map([...(this.probe?.stateDict() ?? [])].map(([k, v]) => [`probe.${k}`, v]));
  }

  loadState(train: Map<string, Tensor>): void {
    const ps = new Map([...train].filter(([k]) => k.startsWith("probe.")).map(([k, v]) => [k.slice(6), v]));
    if (this.probe && ps.size > 0) this.probe.loadStateDict(ps);
  }

  dispose(): void {
    this.probe?.dispose();
  }
}

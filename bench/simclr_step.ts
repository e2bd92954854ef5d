import { fileURLToPath } from "node:url";
import { pretrain } from "../src/methods/pretrain.js";
import { simclrModel } from "../src/methods/simclr.js";
import { AugmentSchema, PretrainSchema } from "../src/methods/simclr-config.js";
import { simclrViews } from "../src/methods/views.js";
import { resnet18 } from "../src/models/resnet.js";
import { manualSeed, randint, tidy } from "../src/torch/index.js";
import { benchThreads, compareRates, type Elapsed, pythonRates, type Rates, rates, startClock } from "./sides.js";

export interface SimclrStepOptions {
  size?: number;
  batch?: number;
  /** timed steps per side (after the warm-up steps) */
  steps?: number;
  threads?: number;
  /** PyTorch DataLoader worker processes */
  workers?: number;
}

export interface SimclrStepResult {
  size: number;
  batch: number;
  steps: number;
  threads: number;
  workers: number;
  facelab: Rates;
  pytorch: Rates;
  /** facelab images/s ÷ PyTorch's (target ≥ 1.5) */
  ratio: number;
  /** PyTorch CPU-s per image ÷ facelab's */
  cpuRatio: number;
}

/** facelab: pretrain() for 2 epochs of `steps` batches; epoch 1 is the warm-up, epoch 2 is timed. */
async function facelabSide(size: number, batch: number, steps: number): Promise<Rates> {
  manualSeed(0);
  const encoder = resnet18({
    layers: [1, 1, 1, 1],
    widthMultiplier: 16 / 64,
    inChannels: 1,
    cifarStem: true,
    numClasses: 0,
  });
  const model = simclrModel(encoder, { layers: 2, hidden: 512, out: 128 });
  const augment = AugmentSchema.parse({ jitter: { brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0 } });
  const cfg = PretrainSchema.parse({
    epochs: 2,
    batchSize: batch,
    optimizer: "sgd",
    lr: 0.3,
    lrScaling: "none",
    weightDecay: 1e-4,
    warmupEpochs: 0,
    temperature: 0.5,
    augment: { ...augment, grayscaleProb: 0 },
  });
  const pool = randint(0, 256, [batch * steps, 1, size, size], { dtype: "uint8" });
  let elapsed: (() => Elapsed) | undefined;
  let timed: Rates | undefined;
  try {
    await pretrain(model, {
      cfg,
      seed: 0,
      pool,
      views: simclrViews(cfg.augment),
      warn: () => {},
      onEpoch: (r) => {
        if (r.epoch === 1) elapsed = startClock();
        else if (elapsed) timed = rates(batch * steps, elapsed());
      },
    });
  } finally {
    pool.dispose();
    model.dispose();
  }
  if (!timed) throw new Error("simclr_step: the timed epoch did not run");
  return timed;
}

export async function benchSimclrStep(o: SimclrStepOptions = {}): Promise<SimclrStepResult> {
  const size = o.size ?? 32;
  const batch = o.batch ?? 256;
  const steps = o.steps ?? 6;
  const workers = o.workers ?? 2;
  const threads = benchThreads(o.threads);
  const facelab = await tidy(() => facelabSide(size, batch, steps));
  const pytorch = pythonRates(
    "PyTorch side of simclr_step",
    "simclr_step_torch.py",
    [size, batch, steps, workers, threads],
    threads,
  );
  return { size, batch, steps, threads, workers, facelab, pytorch, ...compareRates(facelab, pytorch) };
}

export function simclrStepLine(r: SimclrStepResult): string {
  const f = (s: Rates) => `${s.perS.toFixed(1)} img/s (${(s.cpuSPerItem * 1e3).toFixed(1)} CPU-ms/img)`;
  return (
    `simclr_step ${r.size}px batch ${r.batch} (${r.threads} threads): facelab ${f(r.facelab)}; PyTorch + ` +
    `DataLoader ${r.workers} workers ${f(r.pytorch)}; ratio ${r.ratio.toFixed(2)} (CPU-time ${r.cpuRatio.toFixed(2)})`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  console.log(simclrStepLine(await benchSimclrStep({ steps: quick ? 3 : 6 })));
}

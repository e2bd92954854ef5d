// End-to-end SimCLR step bench (issue #15): facelab's own pretraining loop (src/methods/pretrain.ts:
// batch assembly from the uint8 pool, both augmented views, encoder + head forward on 2N views, NT-Xent,
// backward, SGD step) vs what a PyTorch user runs (bench/simclr_step_torch.py: torchvision per-image
// transforms behind a DataLoader with 2 workers, the same model, loss and optimizer). Same images: 1-channel
// uint8 at 32 px (Fashion-MNIST's path in issue #15's reference recipe), batch 256, crop 0.08–1, flip,
// brightness/contrast 0.4 at p 0.8. Reports images/s (an image = one pair of views) and CPU-seconds per
// image, both sides measured after warm-up steps. Target: facelab ≥ 1.5× PyTorch.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { pretrain } from "../src/methods/pretrain.js";
import { simclrModel } from "../src/methods/simclr.js";
import { AugmentSchema, PretrainSchema } from "../src/methods/simclr-config.js";
import { simclrViews } from "../src/methods/views.js";
import { resnet18 } from "../src/models/resnet.js";
import { manualSeed, randint, setNumThreads, tidy } from "../src/torch/index.js";

const PYTHON = "/usr/bin/python3";

export interface SimclrStepOptions {
  size?: number;
  batch?: number;
  /** timed steps per side (after the warm-up steps) */
  steps?: number;
  threads?: number;
  /** PyTorch DataLoader worker processes */
  workers?: number;
}

export interface SimclrStepSide {
  imagesPerS: number;
  cpuSPerImage: number;
}

export interface SimclrStepResult {
  size: number;
  batch: number;
  steps: number;
  threads: number;
  workers: number;
  facelab: SimclrStepSide;
  pytorch: SimclrStepSide;
  /** facelab images/s ÷ PyTorch's (target ≥ 1.5) */
  ratio: number;
  /** PyTorch CPU-s per image ÷ facelab's */
  cpuRatio: number;
}

/** facelab: pretrain() for 2 epochs of `steps` batches; epoch 1 is the warm-up, epoch 2 is timed. */
async function facelabSide(size: number, batch: number, steps: number): Promise<SimclrStepSide> {
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
  let mark: { cpu: NodeJS.CpuUsage; t: number } | undefined;
  let timed: SimclrStepSide | undefined;
  try {
    await pretrain(model, {
      cfg,
      seed: 0,
      pool,
      views: simclrViews(cfg.augment),
      warn: () => {},
      onEpoch: (r) => {
        if (r.epoch === 1) mark = { cpu: process.cpuUsage(), t: performance.now() };
        else if (mark) {
          const c = process.cpuUsage(mark.cpu);
          const n = batch * steps;
          timed = {
            imagesPerS: n / ((performance.now() - mark.t) / 1000),
            cpuSPerImage: (c.user + c.system) / 1e6 / n,
          };
        }
      },
    });
  } finally {
    pool.dispose();
    model.dispose();
  }
  if (!timed) throw new Error("simclr_step: the timed epoch did not run");
  return timed;
}

function pytorchSide(size: number, batch: number, steps: number, workers: number, threads: number): SimclrStepSide {
  const script = fileURLToPath(new URL("./simclr_step_torch.py", import.meta.url));
  const res = spawnSync(PYTHON, [script, size, batch, steps, workers, threads].map(String), {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  if (res.status !== 0) throw new Error(`PyTorch side of simclr_step failed (exit ${res.status}):\n${res.stderr}`);
  const r = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as {
    images_per_s: number;
    cpu_s_per_image: number;
  };
  return { imagesPerS: r.images_per_s, cpuSPerImage: r.cpu_s_per_image };
}

export async function benchSimclrStep(o: SimclrStepOptions = {}): Promise<SimclrStepResult> {
  const size = o.size ?? 32;
  const batch = o.batch ?? 256;
  const steps = o.steps ?? 6;
  const workers = o.workers ?? 2;
  const threads = o.threads ?? (Number(process.env.FACELAB_THREADS) || availableParallelism());
  setNumThreads(threads);
  const facelab = await tidy(() => facelabSide(size, batch, steps));
  const pytorch = pytorchSide(size, batch, steps, workers, threads);
  return {
    size,
    batch,
    steps,
    threads,
    workers,
    facelab,
    pytorch,
    ratio: facelab.imagesPerS / pytorch.imagesPerS,
    cpuRatio: pytorch.cpuSPerImage / facelab.cpuSPerImage,
  };
}

export function simclrStepLine(r: SimclrStepResult): string {
  const f = (s: SimclrStepSide) => `${s.imagesPerS.toFixed(1)} img/s (${(s.cpuSPerImage * 1e3).toFixed(1)} CPU-ms/img)`;
  return (
    `simclr_step ${r.size}px batch ${r.batch} (${r.threads} threads): facelab ${f(r.facelab)}; PyTorch + ` +
    `DataLoader ${r.workers} workers ${f(r.pytorch)}; ratio ${r.ratio.toFixed(2)} (CPU-time ${r.cpuRatio.toFixed(2)})`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  console.log(simclrStepLine(await benchSimclrStep({ steps: quick ? 3 : 6 })));
}

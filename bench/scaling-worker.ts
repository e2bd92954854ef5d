// One worker of the scaling bench (bench/scaling.ts): ResNet-18 (CIFAR stem, 11 M parameters, the
// model of the resnet18_cifar_train case) trained data-parallel on random 32×32 images with a fixed
// global batch; rank 0 prints SCALING {json} with the timing. SCALING_OVERLAP=0 all-reduces the
// gradient buckets after backward (facelab before issue 7's overlap), 1 (default) during backward.

import { resnet18 } from "../src/models/index.js";
import {
  DistributedDataParallel,
  destroyProcessGroup,
  getDefaultGroup,
  initProcessGroup,
} from "../src/torch/distributed/index.js";
import { F, manualSeed, noGrad, randint, randn, tidy } from "../src/torch/index.js";

const globalBatch = Number(process.env.SCALING_BATCH ?? 32);
const warmup = Number(process.env.SCALING_WARMUP ?? 1);
const iters = Number(process.env.SCALING_ITERS ?? 4);
const overlapBackward = process.env.SCALING_OVERLAP !== "0";

const world = Number(process.env.WORLD_SIZE ?? 1);
if (world > 1) await initProcessGroup();
const rank = getDefaultGroup()?.rank ?? 0;
const local = globalBatch / world;
if (!Number.isInteger(local)) throw new Error(`global batch ${globalBatch} does not divide over ${world} workers`);

manualSeed(0);
const model = resnet18({ numClasses: 10, cifarStem: true });
const ddp = await DistributedDataParallel.wrap(model, { overlapBackward });
const params = model.parameters();

async function step(): Promise<void> {
  await tidy(async () => {
    const x = randn([local, 3, 32, 32]);
    const y = randint(0, 10, [local], { dtype: "int64" });
    F.crossEntropy(model.call(x), y).backward();
    await ddp.syncGradients();
    noGrad(() => {
      for (const p of params) {
        const g = p.grad;
        if (g) p.add_(g, -0.01);
        p.grad = null;
      }
    });
  });
}

for (let i = 0; i < warmup; i++) await step();
await getDefaultGroup()?.barrier();
const t0 = performance.now();
for (let i = 0; i < iters; i++) await step();
await getDefaultGroup()?.barrier();
const seconds = (performance.now() - t0) / 1000;
if (rank === 0)
  console.log(
    `SCALING ${JSON.stringify({ world, overlapBackward, seconds, imagesPerSec: (globalBatch * iters) / seconds })}`,
  );
ddp.dispose();
if (world > 1) await destroyProcessGroup();

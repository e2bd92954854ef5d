// One worker of the scaling bench (bench/scaling.ts): a small conv net trained data-parallel on
// random 32×32 images with a fixed global batch; rank 0 prints SCALING {json} with the timing.

import {
  DistributedDataParallel,
  destroyProcessGroup,
  getDefaultGroup,
  initProcessGroup,
} from "../src/torch/distributed/index.js";
import { F, keep, manualSeed, noGrad, randint, randn, type Tensor, tidy } from "../src/torch/index.js";

const globalBatch = Number(process.env.SCALING_BATCH ?? 64);
const warmup = Number(process.env.SCALING_WARMUP ?? 2);
const iters = Number(process.env.SCALING_ITERS ?? 6);

const world = Number(process.env.WORLD_SIZE ?? 1);
if (world > 1) await initProcessGroup();
const rank = getDefaultGroup()?.rank ?? 0;
const local = globalBatch / world;
if (!Number.isInteger(local)) throw new Error(`global batch ${globalBatch} does not divide over ${world} workers`);

manualSeed(0);
const params = tidy(() => [
  randn([32, 3, 3, 3]).mul(0.2),
  randn([64, 32, 3, 3]).mul(0.06),
  randn([10, 64]).mul(0.1),
]).map((p) => {
  p.requiresGrad = true;
  return keep(p);
});
const ddp = await DistributedDataParallel.wrap({ parameters: () => params });

async function step(): Promise<void> {
  await tidy(async () => {
    const x = randn([local, 3, 32, 32]);
    const y = randint(0, 10, [local], { dtype: "int64" });
    const [w1, w2, w3] = params as [Tensor, Tensor, Tensor];
    let h = F.maxPool2d(F.conv2d(x, w1, null, { padding: 1 }).relu(), 2);
    h = F.adaptiveAvgPool2d(F.conv2d(h, w2, null, { padding: 1 }).relu(), 1).flatten(1);
    F.crossEntropy(F.linear(h, w3), y).backward();
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
  console.log(`SCALING ${JSON.stringify({ world, seconds, imagesPerSec: (globalBatch * iters) / seconds })}`);
if (world > 1) await destroyProcessGroup();

import { fileURLToPath } from "node:url";
import {
  drawSeeds,
  pipelineInput,
  type SimclrConfig,
  simclrBatch,
  simclrCifar,
  simclrLarge,
  simclrViewBatch,
} from "../src/data/augment/index.js";
import { Rng } from "../src/data/rng.js";
import { randint, type Tensor, tensor, tidy } from "../src/torch/index.js";
import { benchThreads, compareRates, pythonRates, type Rates, rates, startClock } from "./sides.js";

export interface AugmentBenchOptions {
  /** images per batch (2× views) */
  batch?: number;
  /** image side (input and output); ≤ 48 uses the CIFAR preset, larger the large-image preset */
  size?: number;
  /** timed batches per side */
  batches?: number;
  threads?: number;
}

export interface AugmentBenchResult {
  batch: number;
  size: number;
  threads: number;
  /** the fused CPU kernel (src/data/augment/fused.ts), what simclrViewBatch runs on uint8 CPU batches */
  facelab: Rates;
  /** the same views as batched tensor ops (simclr.ts simclrBatch: the CUDA / float path), for comparison */
  facelabOps: Rates;
  torchvision0: Rates;
  torchvision2: Rates;
  /** facelab views/s ÷ torchvision DataLoader with 2 workers (issue #15 targets: ≥ 5 at 32 px, ≥ 3 at 96 px) */
  ratio2: number;
  ratio0: number;
  /** the same ratio in CPU time per view (steadier on a busy machine) */
  cpuRatio2: number;
}

/** The tensor-op path of simclrViewBatch (its seeds, both views in one batch) without the fused kernel. */
function tensorOpViews(x: Tensor, cfg: SimclrConfig, seed: number): Tensor {
  const r = new Rng(seed);
  const [s1, s2] = [r.seed(), r.seed()];
  const N = x.size(0);
  const { x: input, scale } = pipelineInput(x, 2);
  return simclrBatch(input, scale, cfg, [...drawSeeds(N, s1), ...drawSeeds(N, s2)]);
}

/**
 * facelab: random batches from a uint8 cache → both views (the fused kernel, or `ops`: batched tensor
 * ops); two warm-up batches, then `batches` timed (more if they take under a second).
 */
function facelabSide(size: number, batch: number, batches: number, ops = false): Rates {
  const cfg = size <= 48 ? simclrCifar(size) : simclrLarge(size);
  return tidy(() => {
    const pool = batch * 4;
    const cache = randint(0, 256, [pool, size, size, 3], { dtype: "uint8" });
    const rng = new Rng(0);
    const step = (i: number) =>
      tidy(() => {
        const idx = tensor(Array.from(rng.permutation(pool).subarray(0, batch)), { dtype: "int64" });
        const views = ops ? tensorOpViews : simclrViewBatch;
        views(cache.indexSelect(0, idx), cfg, i).sum().item(); // item() waits for the result
      });
    step(-1);
    step(-2);
    // at least `batches`, and at least 1 s: 8 fused batches at 32 px take ~60 ms, where one GC pause shows
    const elapsed = startClock();
    let done = 0;
    while (done < batches || elapsed().wall < 1) step(done++);
    return rates(2 * batch * done, elapsed());
  });
}

/** torchvision behind a DataLoader with `workers` processes (1 intra-op thread each, as workers have). */
const torchvisionSide = (size: number, batch: number, batches: number, workers: number) =>
  pythonRates("torchvision side of the augment bench", "augment_torch.py", [size, batch, batches, workers, 1], 1);

export function benchAugment(o: AugmentBenchOptions = {}): AugmentBenchResult {
  const size = o.size ?? 32;
  const batch = o.batch ?? (size > 48 ? 128 : 256); // SimCLR's batch 256 (2 × 256 views) at 32 px
  const batches = o.batches ?? 8;
  const threads = benchThreads(o.threads);
  // torchvision with 0 workers runs the transforms in the main process
  const torchvision0 = torchvisionSide(size, batch, batches, 0);
  const facelab = facelabSide(size, batch, batches);
  const facelabOps = facelabSide(size, batch, batches, true);
  const torchvision2 = torchvisionSide(size, batch, batches, 2);
  const vs2 = compareRates(facelab, torchvision2);
  const vs0 = compareRates(facelab, torchvision0);
  return {
    batch,
    size,
    threads,
    facelab,
    facelabOps,
    torchvision0,
    torchvision2,
    ratio2: vs2.ratio,
    ratio0: vs0.ratio,
    cpuRatio2: vs2.cpuRatio,
  };
}

export function augmentLine(a: AugmentBenchResult): string {
  const f = (s: Rates) => `${s.perS.toFixed(0)} views/s (${(s.cpuSPerItem * 1e6).toFixed(0)} CPU-µs/view)`;
  return (
    `augment simclr ${a.size}px, ${a.batch} images → ${2 * a.batch} views per batch: facelab ${f(a.facelab)} ` +
    `(tensor-op path ${f(a.facelabOps)}); ` +
    `torchvision DataLoader 0 workers ${f(a.torchvision0)}, 2 workers ${f(a.torchvision2)}; ` +
    `ratio vs 2 workers ${a.ratio2.toFixed(2)} (CPU-time ${a.cpuRatio2.toFixed(2)}), vs 0 workers ${a.ratio0.toFixed(2)}`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  for (const size of [32, 96]) console.log(augmentLine(benchAugment({ size, batches: quick ? 3 : 8 })));
}

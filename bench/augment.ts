// Augmentation benchmark (issue #15): SimCLR's two views of every image of a batch, from a uint8 image
// cache, facelab's batched pipeline (src/data/augment/simclr.ts: batch assembly by index_select from
// the uint8 cache, both views in one batch) vs torchvision's per-image transforms behind a real
// DataLoader with 0 and 2 worker processes (bench/augment_torch.py; Debian python3-torchvision).
// Same transforms on both sides: random resized crop (0.08–1), flip, colour jitter with hue at p 0.8
// (strength 0.5 ≤ 48 px, 1.0 above), grayscale p 0.2, and blur p 0.5 above 48 px.
// Exported for bench/run.ts; also runs alone: `node --import tsx bench/augment.ts [--quick]`.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { simclrCifar, simclrLarge, simclrViewBatch } from "../src/data/augment/index.js";
import { Rng } from "../src/data/rng.js";
import { randint, setNumThreads, tensor, tidy } from "../src/torch/index.js";

const PYTHON = "/usr/bin/python3"; // Debian's python3-torch / python3-torchvision (DESIGN.md)

export interface AugmentBenchOptions {
  /** images per batch (2× views) */
  batch?: number;
  /** image side (input and output); ≤ 48 uses the CIFAR preset, larger the large-image preset */
  size?: number;
  /** timed batches per side */
  batches?: number;
  threads?: number;
}

export interface AugmentSide {
  /** augmented views per second of wall time */
  viewsPerS: number;
  /** CPU seconds (all threads / worker processes) per view */
  cpuSPerView: number;
}

export interface AugmentBenchResult {
  batch: number;
  size: number;
  threads: number;
  facelab: AugmentSide;
  torchvision0: AugmentSide;
  torchvision2: AugmentSide;
  /** facelab views/s ÷ torchvision DataLoader with 2 workers (issue #15 targets: ≥ 5 at 32 px, ≥ 3 at 96 px) */
  ratio2: number;
  ratio0: number;
  /** the same ratio in CPU time per view (steadier on a busy machine) */
  cpuRatio2: number;
}

/** facelab: random batches from a uint8 cache → both views; two warm-up batches, then `batches` timed. */
function facelabSide(size: number, batch: number, batches: number): AugmentSide {
  const cfg = size <= 48 ? simclrCifar(size) : simclrLarge(size);
  return tidy(() => {
    const pool = batch * 4;
    const cache = randint(0, 256, [pool, size, size, 3], { dtype: "uint8" });
    const rng = new Rng(0);
    const step = (i: number) =>
      tidy(() => {
        const idx = tensor(Array.from(rng.permutation(pool).subarray(0, batch)), { dtype: "int64" });
        simclrViewBatch(cache.indexSelect(0, idx), cfg, i).sum().item(); // item() waits for the result
      });
    step(-1);
    step(-2);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < batches; i++) step(i);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const views = 2 * batch * batches;
    return { viewsPerS: views / wall, cpuSPerView: (c.user + c.system) / 1e6 / views };
  });
}

function torchvisionSide(size: number, batch: number, batches: number, workers: number, threads: number): AugmentSide {
  const script = fileURLToPath(new URL("./augment_torch.py", import.meta.url));
  const args = [script, size, batch, batches, workers, threads].map(String);
  const res = spawnSync(PYTHON, args, { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (res.status !== 0) throw new Error(`torchvision side failed (exit ${res.status}):\n${res.stderr}`);
  const r = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as { views_per_s: number; cpu_s_per_view: number };
  return { viewsPerS: r.views_per_s, cpuSPerView: r.cpu_s_per_view };
}

export function benchAugment(o: AugmentBenchOptions = {}): AugmentBenchResult {
  const size = o.size ?? 32;
  const batch = o.batch ?? (size > 48 ? 128 : 256); // SimCLR's batch 256 (2 × 256 views) at 32 px
  const batches = o.batches ?? 8;
  const threads = o.threads ?? (Number(process.env.FACELAB_THREADS) || availableParallelism());
  setNumThreads(threads);
  // torchvision 0 workers runs the transforms in the main process (1 intra-op thread as workers do)
  const torchvision0 = torchvisionSide(size, batch, batches, 0, 1);
  const facelab = facelabSide(size, batch, batches);
  const torchvision2 = torchvisionSide(size, batch, batches, 2, 1);
  return {
    batch,
    size,
    threads,
    facelab,
    torchvision0,
    torchvision2,
    ratio2: facelab.viewsPerS / torchvision2.viewsPerS,
    ratio0: facelab.viewsPerS / torchvision0.viewsPerS,
    cpuRatio2: torchvision2.cpuSPerView / facelab.cpuSPerView,
  };
}

export function augmentLine(a: AugmentBenchResult): string {
  const f = (s: AugmentSide) => `${s.viewsPerS.toFixed(0)} views/s (${(s.cpuSPerView * 1e6).toFixed(0)} CPU-µs/view)`;
  return (
    `augment simclr ${a.size}px, ${a.batch} images → ${2 * a.batch} views per batch: facelab ${f(a.facelab)}; ` +
    `torchvision DataLoader 0 workers ${f(a.torchvision0)}, 2 workers ${f(a.torchvision2)}; ` +
    `ratio vs 2 workers ${a.ratio2.toFixed(2)} (CPU-time ${a.cpuRatio2.toFixed(2)}), vs 0 workers ${a.ratio0.toFixed(2)}`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  for (const size of [32, 96]) console.log(augmentLine(benchAugment({ size, batches: quick ? 3 : 8 })));
}

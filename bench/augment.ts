// Augmentation benchmark (issue 3): facelab's batched SimCLR augmentation (one set of tensor ops
// over the batch) vs torchvision's per-image transforms (Debian python3-torchvision) producing the
// same batch. Exported for bench/run.ts; also runs alone: `node --import tsx bench/augment.ts`.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { augment, simclrCifar, simclrLarge } from "../src/data/augment/index.js";
import { rand, setNumThreads, tidy } from "../src/torch/index.js";

const PYTHON = "/usr/bin/python3"; // Debian's python3-torch / python3-torchvision (DESIGN.md)

export interface AugmentBenchOptions {
  batch?: number;
  /** image side; ≤ 48 uses the CIFAR preset (no blur), larger the large-image preset (blur p=0.5) */
  size?: number;
  warmup?: number;
  iters?: number;
  threads?: number;
  /** torchvision input: PIL images (the usual Dataset path) or uint8 tensors */
  torchvisionInput?: "pil" | "tensor";
}

export interface AugmentBenchResult {
  batch: number;
  size: number;
  threads: number;
  /** images/s from the median iteration */
  facelab: number;
  torchvision: number;
  /** facelab / torchvision (> 1: facelab faster) */
  ratio: number;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;

// Per-image SimCLR pipeline as SimCLR re-implementations write it (reference/simclr.md §3).
const PY = `
import sys, time, json, torch, numpy as np
import torchvision.transforms as T
from PIL import Image
batch, size, warmup, iters, threads, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
torch.set_num_threads(threads)
s = 0.5 if size <= 48 else 1.0
ops = [T.RandomResizedCrop(size, scale=(0.08, 1.0)), T.RandomHorizontalFlip(),
       T.RandomApply([T.ColorJitter(0.8*s, 0.8*s, 0.8*s, 0.2*s)], p=0.8), T.RandomGrayscale(p=0.2)]
if size > 48:
    k = 2 * ((size // 10) // 2) + 1
    ops.append(T.RandomApply([T.GaussianBlur(k, sigma=(0.1, 2.0))], p=0.5))
rng = np.random.default_rng(0)
raw = rng.integers(0, 256, size=(batch, size, size, 3), dtype=np.uint8)
if mode == "pil":
    imgs = [Image.fromarray(a) for a in raw]
    tf = T.Compose(ops + [T.ToTensor()])
else:
    imgs = [torch.from_numpy(a).permute(2, 0, 1).contiguous() for a in raw]
    tf = T.Compose([T.ConvertImageDtype(torch.float32)] + ops)
times = []
for i in range(warmup + iters):
    t = time.perf_counter()
    out = torch.stack([tf(im) for im in imgs])
    if i >= warmup: times.append(time.perf_counter() - t)
print(json.dumps({"times": times}))
`;

export function benchAugment(o: AugmentBenchOptions = {}): AugmentBenchResult {
  const batch = o.batch ?? 256;
  const size = o.size ?? 32;
  const warmup = o.warmup ?? 2;
  const iters = o.iters ?? 5;
  const threads = o.threads ?? (Number(process.env.FACELAB_THREADS) || availableParallelism());
  setNumThreads(threads);
  const cfg = size <= 48 ? simclrCifar(size) : simclrLarge(size);
  const times: number[] = [];
  tidy(() => {
    const x = rand([batch, 3, size, size]);
    for (let i = 0; i < warmup + iters; i++) {
      const t = performance.now();
      tidy(() => augment(x, cfg, { seed: i }).sum().item()); // item() waits for the result
      if (i >= warmup) times.push((performance.now() - t) / 1000);
    }
  });
  const args = [
    String(batch),
    String(size),
    String(warmup),
    String(iters),
    String(threads),
    o.torchvisionInput ?? "pil",
  ];
  const res = spawnSync(PYTHON, ["-c", PY, ...args], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  if (res.status !== 0) throw new Error(`torchvision side failed (exit ${res.status}):\n${res.stderr}`);
  const tv = (JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as { times: number[] }).times;
  const facelab = batch / median(times);
  const torchvision = batch / median(tv);
  return { batch, size, threads, facelab, torchvision, ratio: facelab / torchvision };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const size of [32, 96]) {
    for (const mode of ["pil", "tensor"] as const) {
      const r = benchAugment({ size, torchvisionInput: mode, batch: size > 48 ? 128 : 256 });
      console.log(
        `augment simclr ${size}px batch ${r.batch} (${r.threads} threads): facelab ${r.facelab.toFixed(0)} img/s, ` +
          `torchvision per-image (${mode}) ${r.torchvision.toFixed(0)} img/s, ratio ${r.ratio.toFixed(2)}`,
      );
    }
  }
}

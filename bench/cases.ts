// The benchmark cases (issue 2): ResNet-18 with the CIFAR stem at 32×32, batch 64, and ResNet-50 at
// 64×64, batch 32; each as a training step (forward, cross-entropy, backward, SGD) and as inference.
// bench/torch_worker.py defines the same cases for PyTorch; keep the two in step.
export interface BenchCase {
  name: string;
  arch: "resnet18" | "resnet50";
  cifarStem: boolean;
  numClasses: number;
  batch: number;
  size: number;
  train: boolean;
}

export const CASES: BenchCase[] = [
  { name: "resnet18_cifar_train", arch: "resnet18", cifarStem: true, numClasses: 10, batch: 64, size: 32, train: true },
  { name: "resnet50_train", arch: "resnet50", cifarStem: false, numClasses: 1000, batch: 32, size: 64, train: true },
  {
    name: "resnet18_cifar_infer",
    arch: "resnet18",
    cifarStem: true,
    numClasses: 10,
    batch: 64,
    size: 32,
    train: false,
  },
  { name: "resnet50_infer", arch: "resnet50", cifarStem: false, numClasses: 1000, batch: 32, size: 64, train: false },
];

/** SGD settings used on both sides (the usual CIFAR recipe). */
export const SGD_OPTIONS = { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 };

/** What a worker prints as its last stdout line. */
export interface WorkerResult {
  side: "facelab" | "pytorch";
  case: string;
  /** the PyTorch / LibTorch version the worker ran on */
  torch?: string;
  /** images per iteration (the case's batch unless FACELAB_BENCH_BATCH overrides it) */
  batch?: number;
  threads: number;
  /** wall-clock seconds per timed iteration */
  times: number[];
  /** CPU seconds (user + system, all threads) per timed iteration: less sensitive to a busy machine */
  cpuTimes: number[];
  /** minor page faults per timed iteration (fresh memory being mapped: an allocator-behaviour signal) */
  minorFaultsPerIter: number;
  /** peak resident set size of the worker process, MiB */
  peakRssMiB: number;
}

// Process-wide runtime: seeding, threads, build information, memory counters, CUDA.
import { type NativeConfig, native } from "./native.js";

/** Seeds LibTorch's CPU (and CUDA) generators, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/** Number of native tensors alive in this process (tf.memory().numTensors equivalent). */
export const liveTensors = (): number => native.liveTensors();

export const setNumThreads = (n: number): void => native.setNumThreads(n);
export const getNumThreads = (): number => native.config().numThreads;

/** Returns freed heap memory to the OS (glibc keeps it otherwise). */
export const mallocTrim = (): void => native.mallocTrim();

/** Bytes in allocated malloc chunks (glibc mallinfo2 uordblks): native heap use, for memory tests. */
export const mallocInUse = (): number => native.mallocInUse();

let cached: NativeConfig | undefined;
/** LibTorch version, BLAS in use, threads, CUDA and Gloo availability. */
export function buildInfo(): NativeConfig {
  cached ??= native.config();
  return { ...cached, numThreads: native.config().numThreads };
}

export const cuda = {
  isAvailable: (): boolean => buildInfo().cudaAvailable,
  deviceCount: (): number => buildInfo().cudaDeviceCount,
};

/** Why CUDA cannot be used here (no CUDA in this build, or no device), or null when it can; CUDA-only tests skip with it. */
export function cudaUnavailableReason(): string | null {
  const info = buildInfo();
  if (!info.cudaBuilt) return `this facelab build has no CUDA (CPU LibTorch ${info.torchVersion})`;
  if (!info.cudaAvailable || info.cudaDeviceCount === 0)
    return `no CUDA device (CUDA LibTorch ${info.torchVersion} sees none)`;
  return null;
}

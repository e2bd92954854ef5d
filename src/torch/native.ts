// Loads the LibTorch addon built by `npm run build:native`. Everything native goes through here.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Opaque native tensor handle (an object whose internal fields point at the native tensor; see native/src/handle.h). */
export type Handle = { readonly __handle: unique symbol };

export interface NativeConfig {
  torchVersion: string;
  numThreads: number;
  blas: string;
  buildConfig: string;
  cudaBuilt: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  gloo: boolean;
  nccl: boolean;
}

export interface NativeAddon {
  opId(name: string, overload: string): number;
  schema(id: number): string;
  call(id: number, ...args: unknown[]): unknown;
  fromBuffer(data: ArrayBufferView, shape: number[], dtype: number): Handle;
  toBuffer(h: Handle): ArrayBuffer;
  dataView(h: Handle): ArrayBuffer;
  /** Frees the tensor now; false if it was already disposed. */
  dispose(h: Handle): boolean;
  isDisposed(h: Handle): boolean;
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  dtype(h: Handle): number;
  device(h: Handle): string;
  isContiguous(h: Handle, channelsLast?: boolean): boolean;
  item(h: Handle): number | boolean;
  toString(h: Handle): string;
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, v: boolean): void;
  isLeaf(h: Handle): boolean;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  retainGrad(h: Handle): void;
  backward(outputs: Handle[], grads: Handle[] | null, retainGraph: boolean, createGraph: boolean): void;
  gradients(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: Handle[] | null,
    retainGraph: boolean,
    createGraph: boolean,
    allowUnused: boolean,
  ): (Handle | null)[];
  setGradEnabled(v: boolean): boolean;
  isGradEnabled(): boolean;
  config(): NativeConfig;
  setNumThreads(n: number): void;
  manualSeed(seed: number): void;
  liveTensors(): number;
  mallocTrim(): void;
  mallocInUse(): number;
  [key: string]: unknown;
}

function load(): NativeAddon {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = join(here, "..", "..");
  const path = process.env.FACELAB_NATIVE ?? join(root, "native", "build", "Release", "facelab_native.node");
  if (!existsSync(path)) {
    throw new Error(
      `facelab: the LibTorch addon is not built (${path} is missing). Run \`npm run build:native\` ` +
        "after installing libtorch-dev libgloo-dev libopenblas0-pthread (or set LIBTORCH).",
    );
  }
  const require = createRequire(import.meta.url);
  return require(path) as NativeAddon;
}

export const native: NativeAddon = load();

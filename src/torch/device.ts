// Where training runs: the `device` setting checked against this build and machine before a run
// starts, host→device copies from pinned memory, channels-last modules and inputs, and the
// process-wide deterministic / cuDNN-benchmark flags.
import { checkPrecision, type Precision } from "./autocast.js";
import { noGrad } from "./autograd.js";
import { callOp } from "./dispatch.js";
import { TorchError } from "./errors.js";
import { native } from "./native.js";
import type { AnyModule } from "./nn/module.js";
import { buildInfo } from "./runtime.js";
import type { Device, Tensor } from "./tensor.js";

export const MEMORY_FORMATS = ["contiguous", "channels_last"] as const;
export type MemoryFormat = (typeof MEMORY_FORMATS)[number];

/**
 * Checks a `device` setting ("cpu", "cuda", "cuda:N") against this build and machine and returns
 * it as a Device. The error names the setting, so a run fails before it creates anything.
 */
export function resolveDevice(value: unknown, setting = "device"): Device {
  if (value === "cpu") return "cpu";
  const m = typeof value === "string" ? /^cuda(?::(\d+))?$/.exec(value) : null;
  if (m === null)
    throw new TorchError(`${setting} must be "cpu", "cuda" or "cuda:N"; got ${JSON.stringify(value)}`, "ValueError");
  const info = buildInfo();
  if (!info.cudaBuilt)
    throw new TorchError(
      `${setting}: ${value} was requested but this facelab build has no CUDA (built against the CPU LibTorch ` +
        `${info.torchVersion}); rebuild against a CUDA LibTorch (README "Bring your own LibTorch / PyTorch") or use ${setting}: cpu`,
      "DeviceError",
    );
  if (!info.cudaAvailable || info.cudaDeviceCount === 0)
    throw new TorchError(
      `${setting}: ${value} was requested but there is no CUDA device (this CUDA build of LibTorch ` +
        `${info.torchVersion} sees none; check the driver, nvidia-smi and CUDA_VISIBLE_DEVICES) — use ${setting}: cpu`,
      "DeviceError",
    );
  // Under `facelab launch` (torchrun's LOCAL_RANK) a bare "cuda" is this worker's own GPU.
  const index = m[1] === undefined ? Number(process.env.LOCAL_RANK ?? 0) : Number(m[1]);
  if (index >= info.cudaDeviceCount)
    throw new TorchError(
      `${setting}: ${value} but this machine has ${info.cudaDeviceCount} CUDA device(s) (cuda:0…cuda:${info.cudaDeviceCount - 1})`,
      "DeviceError",
    );
  return `cuda:${index}`;
}

export const isCuda = (d: Device): boolean => d.startsWith("cuda");

/**
 * Copies a host tensor to `device`. For CUDA the bytes go through pinned (page-locked) memory with
 * a non-blocking copy, so the transfer overlaps the GPU's work (PyTorch's DataLoader pin_memory +
 * .to(non_blocking=True)); the pinned buffer is returned to LibTorch's caching host allocator, which
 * keeps it until the copy is done. A tensor already on `device` comes back as an alias.
 */
export function toDevice(t: Tensor, device: Device): Tensor {
  if (!isCuda(device)) return t.to(device); // an alias when t is there already
  if (t.device !== "cpu") return t.to(device);
  const pinned = callOp<Tensor>("pin_memory", t);
  try {
    return callOp<Tensor>("_to_copy", pinned, undefined, undefined, device, undefined, true);
  } finally {
    pinned.dispose();
  }
}

/**
 * The device a module's weights live on — its first parameter, else its first buffer, else "cpu" —
 * which is where its inputs must go. Evaluation code reads it from the model instead of taking a
 * setting, so a model trained on `device: cuda` is evaluated there.
 */
export function moduleDevice(m: AnyModule): Device {
  const first = m.parameters()[0] ?? m.buffers()[0];
  return first === undefined ? "cpu" : first.device;
}

/** A result back on the host for the metric code (an alias when it is there already). */
export const toHost = (t: Tensor): Tensor => (t.device === "cpu" ? t.alias() : t.to("cpu"));

/** Converts the 4-D parameters and buffers of a module to channels-last strides in place (names and values unchanged). */
export function channelsLast(module: AnyModule): AnyModule {
  noGrad(() => {
    for (const t of [...module.parameters(), ...module.buffers()]) {
      if (t.ndim !== 4) continue;
      const moved = t.contiguous("channelsLast");
      callOp("set_data", t, moved);
      moved.dispose();
    }
  });
  return module;
}

/** A batch in the memory format the model expects (a fresh handle). */
export function inMemoryFormat(x: Tensor, format: MemoryFormat): Tensor {
  return format === "channels_last" && x.ndim === 4 ? x.contiguous("channelsLast") : x.alias();
}

export interface BackendFlags {
  /** torch.use_deterministic_algorithms: ops without a deterministic kernel raise instead of running. */
  deterministic?: boolean;
  /** torch.backends.cudnn.benchmark: let cuDNN time convolution algorithms for each new shape. */
  cudnnBenchmark?: boolean;
}

/** Sets the process-wide flags given and returns all of them as they now are. */
export function setBackendFlags(flags: BackendFlags): Required<BackendFlags> {
  const set = native.setBackendFlags as (f: BackendFlags) => Required<BackendFlags>;
  return set(flags);
}

/** Waits for the work queued on a CUDA device (timings); a TorchError on a build without CUDA. */
export function synchronize(device: Device = "cuda"): void {
  const index = device === "cuda" ? -1 : Number(device.split(":")[1]);
  (native.cudaSynchronize as (i: number) => void)(index);
}

/** A run's compute settings as written in its config (simclr run, train, bias-study). */
export interface ComputeSettings {
  device?: string;
  precision?: string;
  memoryFormat?: string;
  deterministic?: boolean;
  cudnnBenchmark?: boolean;
}

export interface Compute {
  device: Device;
  precision: Precision;
  memoryFormat: MemoryFormat;
  deterministic: boolean;
  cudnnBenchmark: boolean;
}

/**
 * Checks a run's compute settings against this build and machine — call it before the run creates
 * anything, so `device: cuda` without CUDA leaves no run directory — and sets the process-wide
 * deterministic / cuDNN-benchmark flags. Errors name the setting (`prefix` + key).
 */
export function setupCompute(s: ComputeSettings, prefix = ""): Compute {
  const device = resolveDevice(s.device ?? "cpu", `${prefix}device`);
  const precision = checkPrecision(s.precision ?? "fp32", device, `${prefix}precision`);
  const memoryFormat = (s.memoryFormat ?? "contiguous") as MemoryFormat;
  if (!MEMORY_FORMATS.includes(memoryFormat))
    throw new TorchError(
      `${prefix}memoryFormat must be one of ${MEMORY_FORMATS.join(", ")}; got ${JSON.stringify(s.memoryFormat)}`,
      "ValueError",
    );
  const flags = setBackendFlags({ deterministic: s.deterministic ?? false, cudnnBenchmark: s.cudnnBenchmark ?? false });
  return { device, precision, memoryFormat, ...flags };
}

// Mixed precision: LibTorch's autocast for the forward pass (torch.autocast) and a gradient
// scaler for fp16 (torch.amp.GradScaler). Autocast is thread-local native state, so it wraps a
// synchronous function only: an `await` inside would leave it on for whatever ran meanwhile.
// LibTorch 1.13 and 2.x spell the autocast switches differently; native/src/compat.h absorbs it.
import { noGrad } from "./autograd.js";
import { callOp } from "./dispatch.js";
import { dtypeCode } from "./dtype.js";
import { TorchError } from "./errors.js";
import { native } from "./native.js";
import { tidy } from "./scope.js";
import type { Device, Tensor } from "./tensor.js";

export const PRECISIONS = ["fp32", "bf16", "fp16"] as const;
export type Precision = (typeof PRECISIONS)[number];

type AutocastNative = {
  autocastEnter(device: "cpu" | "cuda", dtype: number, enabled?: boolean): [boolean, number];
  autocastExit(device: "cpu" | "cuda", enabled: boolean, dtype: number): void;
  autocastState(device: "cpu" | "cuda"): [boolean, number];
};
const amp = native as unknown as AutocastNative;

const deviceType = (d: Device): "cpu" | "cuda" => (d.startsWith("cuda") ? "cuda" : "cpu");

/**
 * Checks a `precision` setting for a device before anything runs. CPU autocast lowers to bfloat16
 * only (LibTorch 1.13's CPU autocast has no float16 policy), so fp16 needs CUDA.
 */
export function checkPrecision(precision: unknown, device: Device, setting = "precision"): Precision {
  if (!PRECISIONS.includes(precision as Precision))
    throw new TorchError(
      `${setting} must be one of ${PRECISIONS.join(", ")}; got ${JSON.stringify(precision)}`,
      "ValueError",
    );
  if (precision === "fp16" && deviceType(device) === "cpu")
    throw new TorchError(
      `${setting}: fp16 needs a CUDA device (autocast on CPU computes in bf16); use ${setting}: bf16 on ${device}`,
      "ValueError",
    );
  return precision as Precision;
}

/**
 * Runs `fn` with autocast for `device`'s type: eligible ops (convolutions, matrix products) compute
 * in bf16/fp16, precision-sensitive ones (softmax, norms, losses) stay in fp32. "fp32" runs `fn`
 * as is. Compute losses, NT-Xent and margin-head logits outside (or in `fullPrecision`) on `.float()`
 * inputs: margin losses under fp16 overflow.
 */
export function autocast<T>(device: Device, precision: Precision, fn: () => T): T {
  if (precision === "fp32") return fn();
  return withAutocast(deviceType(device), dtypeCode(precision === "bf16" ? "bfloat16" : "float16"), true, fn);
}

/**
 * `autocast` around an async training step (the Trainer awaits a method's step, which may await a
 * collective). The state is per thread, as in PyTorch, so other JavaScript that runs while the step
 * awaits also sees it: keep unrelated tensor work out of that window.
 */
export async function autocastAsync<T>(device: Device, precision: Precision, fn: () => Promise<T>): Promise<T> {
  if (precision === "fp32") return fn();
  const type = deviceType(device);
  const [prevOn, prevDtype] = amp.autocastEnter(type, dtypeCode(precision === "bf16" ? "bfloat16" : "float16"), true);
  try {
    return await fn();
  } finally {
    amp.autocastExit(type, prevOn, prevDtype);
  }
}

/** Runs `fn` with autocast off for `device`'s type (nested inside `autocast`, like autocast(enabled=False)). */
export function fullPrecision<T>(device: Device, fn: () => T): T {
  const [on, dtype] = amp.autocastState(deviceType(device));
  if (!on) return fn();
  return withAutocast(deviceType(device), dtype, false, fn);
}

/** Whether autocast is on for a device type on this thread, and its dtype code. */
export function autocastState(device: Device): { enabled: boolean; dtype: number } {
  const [enabled, dtype] = amp.autocastState(deviceType(device));
  return { enabled, dtype };
}

function withAutocast<T>(type: "cpu" | "cuda", dtype: number, enabled: boolean, fn: () => T): T {
  const [prevOn, prevDtype] = amp.autocastEnter(type, dtype, enabled);
  try {
    const out = fn();
    if (out instanceof Promise)
      throw new TorchError("autocast() needs a synchronous function (autocast state is per thread)", "TypeError");
    return out;
  } finally {
    amp.autocastExit(type, prevOn, prevDtype);
  }
}

export interface GradScalerOptions {
  /** Initial loss scale (PyTorch: 2^16). */
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  /** Finite steps in a row before the scale grows (PyTorch: 2000). */
  growthInterval?: number;
  /** Off: scale 1, nothing skipped (fp32 and bf16 runs use a disabled scaler). */
  enabled?: boolean;
}

/**
 * fp16 gradient scaler (Micikevicius et al. 2018, "Mixed Precision Training"; PyTorch's GradScaler):
 * backward runs on loss·scale so small fp16 gradients do not flush to zero; before the optimizer
 * step the gradients are unscaled and checked, a step with an inf/NaN gradient is skipped and the
 * scale halved, and after `growthInterval` finite steps the scale doubles.
 */
export class GradScaler {
  scale: number;
  readonly enabled: boolean;
  /** Steps skipped for non-finite gradients so far (log it with the scale). */
  skippedSteps = 0;
  readonly #growth: number;
  readonly #backoff: number;
  readonly #interval: number;
  #goodSteps = 0;

  constructor(opts: GradScalerOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.scale = this.enabled ? (opts.initScale ?? 2 ** 16) : 1;
    this.#growth = opts.growthFactor ?? 2;
    this.#backoff = opts.backoffFactor ?? 0.5;
    this.#interval = opts.growthInterval ?? 2000;
    if (!(this.scale > 0) || !(this.#growth > 1) || !(this.#backoff > 0 && this.#backoff < 1) || !(this.#interval >= 1))
      throw new TorchError(
        "GradScaler: need initScale > 0, growthFactor > 1, 0 < backoffFactor < 1, growthInterval ≥ 1",
        "ValueError",
      );
  }

  /** loss·scale (a fresh tensor; the loss itself when disabled). */
  scaleLoss(loss: Tensor): Tensor {
    return this.enabled ? loss.mul(this.scale) : loss.alias();
  }

  /**
   * Unscales the gradients of `params` in place and runs `step` if they are all finite; otherwise
   * skips it (gradients left as they are, zero them as usual) and backs off. Returns whether the
   * step ran. Then updates the scale.
   */
  step(params: Iterable<Tensor>, step: () => void): boolean {
    if (!this.enabled) {
      step();
      return true;
    }
    const finite = noGrad(() => {
      let ok = true;
      const inv = 1 / this.scale;
      for (const p of params) {
        const g = p.grad;
        if (g === null) continue;
        try {
          if (ok) ok = tidy(() => callOp<Tensor>("isfinite", g).all().item() === 1);
          g.mul_(inv).dispose();
        } finally {
          g.dispose();
        }
      }
      return ok;
    });
    if (finite) {
      step();
      if (++this.#goodSteps >= this.#interval) {
        this.scale *= this.#growth;
        this.#goodSteps = 0;
      }
    } else {
      this.skippedSteps++;
      this.scale *= this.#backoff;
      this.#goodSteps = 0;
    }
    return finite;
  }

  stateDict(): { scale: number; growthTracker: number; skippedSteps: number } {
    return { scale: this.scale, growthTracker: this.#goodSteps, skippedSteps: this.skippedSteps };
  }
  loadStateDict(s: { scale: number; growthTracker: number; skippedSteps?: number }): void {
    if (!(s.scale > 0) || !Number.isInteger(s.growthTracker))
      throw new TorchError("GradScaler.loadStateDict: scale must be > 0 and growthTracker an integer", "ValueError");
    this.scale = s.scale;
    this.#goodSteps = s.growthTracker;
    this.skippedSteps = s.skippedSteps ?? 0;
  }
}

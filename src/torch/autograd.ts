// Grad mode and explicit gradient computation.
import { guarded } from "./errors.js";
import { native } from "./native.js";
import { Tensor } from "./tensor.js";

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = native.setGradEnabled(enabled);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    native.setGradEnabled(prev);
    throw e;
  }
  if (result instanceof Promise) {
    // Grad mode is thread-local state in LibTorch, not async context: an async body would leak
    // the mode into unrelated work that runs while it awaits.
    native.setGradEnabled(prev);
    throw new TypeError("noGrad/enableGrad bodies must be synchronous; wrap only the tensor math");
  }
  native.setGradEnabled(prev);
  return result;
}

/** Runs fn without recording operations for autograd (torch.no_grad()). */
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn);
/** Runs fn with autograd recording on, even inside noGrad (torch.enable_grad()). */
export const enableGrad = <T>(fn: () => T): T => withGradMode(true, fn);
export const isGradEnabled = (): boolean => native.isGradEnabled();

/** Backpropagates from several outputs at once (torch.autograd.backward). */
export function backward(
  outputs: Tensor[],
  grads?: Tensor[],
  opts: { retainGraph?: boolean; createGraph?: boolean } = {},
) {
  guarded(
    () =>
      native.backward(
        outputs.map((t) => t.handle),
        grads ? grads.map((t) => t.handle) : null,
        opts.retainGraph ?? opts.createGraph ?? false,
        opts.createGraph ?? false,
      ),
    "backward",
  );
}

/** Gradients of outputs w.r.t. inputs without touching .grad (torch.autograd.grad). */
export function grad(
  outputs: Tensor[],
  inputs: Tensor[],
  opts: { gradOutputs?: Tensor[]; retainGraph?: boolean; createGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const res = guarded(
    () =>
      native.gradients(
        outputs.map((t) => t.handle),
        inputs.map((t) => t.handle),
        opts.gradOutputs ? opts.gradOutputs.map((t) => t.handle) : null,
        opts.retainGraph ?? opts.createGraph ?? false,
        opts.createGraph ?? false,
        opts.allowUnused ?? false,
      ),
    "grad",
  );
  return res.map((h) => (h === null ? null : new Tensor(h)));
}

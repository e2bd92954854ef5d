// Errors raised by LibTorch arrive as TorchError, with the C++ backtrace removed.

export class TorchError extends Error {
  override name = "TorchError";
  /** LibTorch's error class: Error, IndexError, ValueError, TypeError, NotImplementedError, DisposedError, ... */
  readonly kind: string;
  /** The operator that failed, when known. */
  readonly op: string | undefined;
  constructor(message: string, kind = "Error", op?: string) {
    super(op ? `${op}: ${message}` : message);
    this.kind = kind;
    this.op = op;
  }
}

/** Converts an error thrown by the addon into a TorchError (other errors pass through). */
export function asTorchError(e: unknown, op?: string): unknown {
  if (e instanceof Error && e.name === "TorchError" && !(e instanceof TorchError)) {
    return new TorchError(e.message, (e as Error & { kind?: string }).kind ?? "Error", op);
  }
  return e;
}

/** Runs a native call and rethrows addon errors as TorchError. */
export function guarded<T>(fn: () => T, op?: string): T {
  try {
    return fn();
  } catch (e) {
    throw asTorchError(e, op);
  }
}

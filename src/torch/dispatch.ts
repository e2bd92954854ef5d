// Calls ATen operators by schema name through the native dispatcher bridge. Tensor arguments
// are passed as handles, tensor results come back as fresh scoped Tensors.
import { asTorchError } from "./errors.js";
import { type Handle, native } from "./native.js";

/** Anything that can stand in for an operator argument. */
export type OpArg = unknown;

interface Wrappable {
  readonly handle: Handle;
}

let wrapHandle: (h: Handle) => unknown = () => {
  throw new Error("facelab: Tensor class not registered");
};

/** @internal called once by tensor.ts so results can be wrapped without an import cycle. */
export function registerWrapper(fn: (h: Handle) => unknown): void {
  wrapHandle = fn;
}

const ids = new Map<string, number>();

/** Resolves "add.Tensor" / "relu" to a dispatcher id, once. */
export function opId(name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    const dot = name.indexOf(".");
    const base = dot < 0 ? name : name.slice(0, dot);
    const overload = dot < 0 ? "" : name.slice(dot + 1);
    try {
      id = native.opId(base.includes("::") ? base : `aten::${base}`, overload);
    } catch (e) {
      throw asTorchError(e, name);
    }
    ids.set(name, id);
  }
  return id;
}

/** The schema of an operator, e.g. for error messages: schemaOf("conv2d"). */
export const schemaOf = (name: string): string => native.schema(opId(name));

function toNative(a: OpArg): unknown {
  if (a !== null && typeof a === "object") {
    if ("handle" in a) return (a as Wrappable).handle;
    if (Array.isArray(a)) return a.map(toNative);
  }
  return a;
}

function fromNative(r: unknown): unknown {
  if (r === null || typeof r !== "object") return r;
  if (Array.isArray(r)) return r.map(fromNative);
  return wrapHandle(r as Handle);
}

/**
 * Calls aten::<name> with positional arguments; `undefined` takes the schema default. Untyped: the
 * result is whatever the caller says. The listed ops have typed functions generated from their
 * schemas (`aten.*`, generated/aten.ts; add an op in scripts/gen-ops/lists.ts) — prefer those.
 */
export function callOp<R = unknown>(name: string, ...args: OpArg[]): R {
  const id = opId(name);
  let r: unknown;
  try {
    r = invoke(id, args);
  } catch (e) {
    throw asTorchError(e, name);
  }
  return fromNative(r) as R;
}

// Up to four arguments go to the addon as direct arguments: spreading an array into a native
// function costs more than the conversion itself (bench/README.md "Per-op overhead").
function invoke(id: number, args: OpArg[]): unknown {
  switch (args.length) {
    case 0:
      return native.call(id);
    case 1:
      return native.call(id, toNative(args[0]));
    case 2:
      return native.call(id, toNative(args[0]), toNative(args[1]));
    case 3:
      return native.call(id, toNative(args[0]), toNative(args[1]), toNative(args[2]));
    case 4:
      return native.call(id, toNative(args[0]), toNative(args[1]), toNative(args[2]), toNative(args[3]));
    default:
      return native.call(id, ...args.map(toNative));
  }
}

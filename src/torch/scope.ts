// Deterministic tensor memory: dynamic dispose scopes that follow async context.
// A tensor created while a scope is active belongs to it and is disposed when the scope ends,
// unless it is returned from the scope (moved to the outer scope) or kept. GC finalizers are only
// a backstop (see DESIGN.md "Memory is deterministic").
import { AsyncLocalStorage } from "node:async_hooks";

export interface Scoped {
  dispose(): void;
  /** @internal the scope that owns this object, if any */
  _scope: Scope | undefined;
}

export class Scope {
  readonly owned = new Set<Scoped>();
  constructor(readonly parent: Scope | undefined) {}

  adopt(t: Scoped): void {
    t._scope?.owned.delete(t);
    t._scope = this;
    this.owned.add(t);
  }

  release(t: Scoped): void {
    if (t._scope === this) {
      this.owned.delete(t);
      t._scope = undefined;
    }
  }

  disposeAll(except?: Set<Scoped>): void {
    for (const t of this.owned) {
      if (except?.has(t)) continue;
      t._scope = undefined;
      t.dispose();
    }
    this.owned.clear();
  }
}

const storage = new AsyncLocalStorage<Scope>();

export const currentScope = (): Scope | undefined => storage.getStore();

/** Registers a freshly created tensor with the active scope. */
export function track(t: Scoped): void {
  const s = storage.getStore();
  if (s !== undefined) s.adopt(t);
}

/** Removes a tensor from scope management: it lives until disposed by hand (or collected). */
export function keep<T extends Scoped>(t: T): T {
  t._scope?.release(t);
  return t;
}

/** Moves a tensor to the scope outside its current one (or out of scopes altogether). */
export function moveToOuter<T extends Scoped>(t: T): T {
  const s = t._scope;
  if (s === undefined) return t;
  if (s.parent) s.parent.adopt(t);
  else s.release(t);
  return t;
}

function collectScoped(value: unknown, out: Set<Scoped>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (isScoped(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectScoped(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectScoped(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectScoped(v, out, seen);
  }
}

function isScoped(v: object): v is Scoped {
  return "_scope" in v && typeof (v as Scoped).dispose === "function";
}

function finish(scope: Scope, result: unknown): void {
  const escaping = new Set<Scoped>();
  collectScoped(result, escaping);
  scope.disposeAll(escaping);
  for (const t of escaping) {
    if (t._scope !== scope) continue; // created outside this scope: not ours to move
    if (scope.parent) scope.parent.adopt(t);
    else t._scope = undefined;
  }
}

/**
 * Runs fn in a new scope. Tensors created inside (also in called functions and across `await`)
 * are disposed when fn returns or throws, except the tensors in its return value, which move to
 * the enclosing scope. Works with async functions.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Scope(storage.getStore());
  let result: T;
  try {
    result = storage.run(scope, fn);
  } catch (e) {
    scope.disposeAll();
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        finish(scope, v);
        return v;
      },
      (e) => {
        scope.disposeAll();
        throw e;
      },
    ) as T;
  }
  finish(scope, result);
  return result;
}

/**
 * `using s = scope();` — every tensor created until the end of the block is disposed then,
 * except those passed to keep()/moveToOuter() or s.escape().
 */
export function scope(): Disposable & { escape<T extends Scoped>(t: T): T } {
  const prev = storage.getStore();
  const s = new Scope(prev);
  storage.enterWith(s);
  return {
    escape: <T extends Scoped>(t: T) => {
      if (prev) prev.adopt(t);
      else s.release(t);
      return t;
    },
    [Symbol.dispose]() {
      s.disposeAll();
      storage.enterWith(prev as Scope);
    },
  };
}

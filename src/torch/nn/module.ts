// nn.Module: a tree of modules owning parameters and buffers under PyTorch state_dict names.
// Parameters and buffers are kept out of dispose scopes (keep) and live until module.dispose().
// Accessors (parameters(), namedBuffers(), …) return the module's own tensors, not copies, as in
// PyTorch: do not dispose them. stateDict() returns fresh detached handles the caller owns.
import { noGrad } from "../autograd.js";
import type { DType } from "../dtype.js";
import { isFloating } from "../dtype.js";
import { TorchError } from "../errors.js";
import * as aten from "../generated/aten.js";
import { keep } from "../scope.js";
import { type Device, isDevice, type Tensor } from "../tensor.js";

interface BufferSlot {
  tensor: Tensor | null;
  /** Non-persistent buffers are excluded from stateDict (PyTorch's register_buffer(persistent=False)). */
  persistent: boolean;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Anything Module.to accepts: a device, a dtype, or both. */
export type ToTarget = Device | DType | { device?: Device; dtype?: DType };

/** Any module, whatever its forward signature. */
export type AnyModule = Module<unknown[], unknown>;

const NAME = /^[A-Za-z_0-9]+$/;

export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> implements Disposable {
  /** Training mode (dropout active, batch norm uses and updates batch statistics). */
  training = true;
  readonly #params = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, BufferSlot>();
  readonly #children = new Map<string, AnyModule>();
  #disposed = false;

  abstract forward(...args: In): Out;

  /** Runs forward (PyTorch's module(x)). */
  call(...args: In): Out {
    if (this.#disposed) throw new TorchError(`${this.constructor.name} has been disposed`, "DisposedError");
    return this.forward(...args);
  }

  // ---- registration ----------------------------------------------------------------------
  /** Registers t as a parameter: kept out of scopes and set to require grad. Returns t. */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    this.#checkName(name, "parameter");
    if (t !== null) {
      // A non-leaf would never receive .grad: the optimizer would silently skip it.
      if (!t.isLeaf)
        throw new TorchError(
          `parameter '${name}' must be a leaf tensor: create it under noGrad or pass t.detach()`,
          "ValueError",
        );
      keep(t);
      if (!t.requiresGrad && isFloating(t.dtype)) t.requiresGrad = true;
    }
    this.#params.set(name, t);
    return t;
  }

  /** Registers a buffer (running statistics and the like), kept out of scopes. Returns t. */
  registerBuffer<T extends Tensor | null>(name: string, t: T, persistent = true): T {
    this.#checkName(name, "buffer");
    if (t !== null) keep(t);
    this.#buffers.set(name, { tensor: t, persistent });
    return t;
  }

  /** Registers a child module; its parameters appear as `name.<param>`. Returns m. */
  registerModule<M extends AnyModule>(name: string, m: M): M {
    this.#checkName(name, "module");
    if (m.modules().includes(this))
      throw new TorchError(
        `registering ${m.constructor.name} as '${name}' would make a module its own descendant`,
        "ValueError",
      );
    this.#children.set(name, m);
    return m;
  }

  #checkName(name: string, what: string): void {
    if (!NAME.test(name)) throw new TorchError(`${what} name must be letters, digits or _, got '${name}'`, "KeyError");
    const taken = this.#params.has(name) || this.#buffers.has(name) || this.#children.has(name);
    if (taken) throw new TorchError(`${this.constructor.name} already has an attribute '${name}'`, "KeyError");
  }

  /** Replaces the tensor held under a buffer name (e.g. after a recompute); disposes the old one. */
  setBuffer(name: string, t: Tensor): void {
    const slot = this.#buffers.get(name);
    if (slot === undefined) throw new TorchError(`${this.constructor.name} has no buffer '${name}'`, "KeyError");
    if (slot.tensor !== null && slot.tensor !== t) slot.tensor.dispose();
    slot.tensor = keep(t);
  }

  // ---- traversal -------------------------------------------------------------------------
  /** [name, module] for this module and every descendant, depth first ("" is this module). */
  namedModules(prefix = ""): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const walk = (m: AnyModule, p: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [n, c] of m.#children) walk(c, p === "" ? n : `${p}.${n}`);
    };
    walk(this, prefix);
    return out;
  }
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }
  namedChildren(): [string, AnyModule][] {
    return [...this.#children];
  }
  children(): AnyModule[] {
    return [...this.#children.values()];
  }
  /** A direct child by name (e.g. "0" in a Sequential, "layer1"), or undefined. */
  getChild(name: string): AnyModule | undefined {
    return this.#children.get(name);
  }

  /** [key, parameter] with state_dict names, each tensor once (shared parameters are listed once). */
  namedParameters(recurse = true): [string, Tensor][] {
    return this.#collect(recurse, (m) => m.#params);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters(recurse).map(([, t]) => t);
  }
  namedBuffers(recurse = true): [string, Tensor][] {
    return this.#collect(recurse, (m) => new Map([...m.#buffers].map(([k, s]) => [k, s.tensor])));
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers(recurse).map(([, t]) => t);
  }

  #collect(recurse: boolean, pick: (m: AnyModule) => Map<string, Tensor | null>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, AnyModule][] = recurse ? this.namedModules() : [["", this]];
    for (const [p, m] of mods) {
      for (const [n, t] of pick(m)) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        out.push([p === "" ? n : `${p}.${n}`, t]);
      }
    }
    return out;
  }

  /**
   * Like namedModules but a module reachable by several paths appears under each of them, which
   * is how PyTorch's state_dict names a shared submodule ("0.weight" and "2.weight").
   */
  #everyPath(): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const ancestors = new Set<AnyModule>();
    const walk = (m: AnyModule, p: string) => {
      if (ancestors.has(m)) throw new TorchError(`module cycle at '${p}'`, "ValueError");
      ancestors.add(m);
      out.push([p, m]);
      for (const [n, c] of m.#children) walk(c, p === "" ? n : `${p}.${n}`);
      ancestors.delete(m);
    };
    walk(this, "");
    return out;
  }

  // ---- state dict ------------------------------------------------------------------------
  /**
   * Parameters and persistent buffers by PyTorch state_dict key, in registration order.
   * The tensors are fresh detached handles sharing storage with the module (tracked by the
   * current scope: dispose them or call inside tidy). keepVars returns the module's own tensors.
   */
  stateDict(opts: { keepVars?: boolean } = {}): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [p, m] of this.#everyPath()) {
      const key = (n: string) => (p === "" ? n : `${p}.${n}`);
      for (const [n, t] of m.#params) if (t !== null) out.set(key(n), opts.keepVars ? t : t.detach());
      for (const [n, s] of m.#buffers)
        if (s.tensor !== null && s.persistent) out.set(key(n), opts.keepVars ? s.tensor : s.tensor.detach());
    }
    return out;
  }

  /**
   * Copies values into the module's tensors (under noGrad; dtype and device converted as needed).
   * strict (default): every key must match exactly. Shape mismatches always throw, naming the key.
   * Nothing is copied when a check fails. A missing BatchNorm `num_batches_tracked` is set to 0
   * rather than reported, as PyTorch's _NormBase does for state dicts without version metadata
   * (safetensors files never carry it).
   */
  loadStateDict(state: Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict({ keepVars: true });
    const absent = [...own.keys()].filter((k) => !state.has(k));
    const zeroFilled = absent.filter((k) => k === "num_batches_tracked" || k.endsWith(".num_batches_tracked"));
    const missingKeys = absent.filter((k) => !zeroFilled.includes(k));
    const unexpectedKeys = [...state.keys()].filter((k) => !own.has(k));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (unexpectedKeys.length) parts.push(`unexpected key(s): ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}`);
      if (missingKeys.length) parts.push(`missing key(s): ${missingKeys.map((k) => `"${k}"`).join(", ")}`);
      throw new TorchError(
        `Error(s) in loading state_dict for ${this.constructor.name}: ${parts.join("; ")}`,
        "KeyError",
      );
    }
    for (const [k, dst] of own) {
      const src = state.get(k);
      if (src === undefined) continue;
      if (src.isDisposed) throw new TorchError(`state_dict entry "${k}" has been disposed`, "DisposedError");
      const a = src.shape;
      const b = dst.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i]))
        throw new TorchError(
          `size mismatch for ${k}: copying a param with shape [${a.join(", ")}] from checkpoint, the shape in current model is [${b.join(", ")}]`,
          "ValueError",
        );
    }
    noGrad(() => {
      for (const [k, dst] of own) {
        const src = state.get(k);
        if (src !== undefined) dst.copy_(src).dispose();
      }
      for (const k of zeroFilled) own.get(k)?.zero_().dispose();
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes and bulk operations ---------------------------------------------------------
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every descendant (children first) and then on this module, like PyTorch. */
  apply(fn: (m: AnyModule) => void): this {
    const visit = (m: AnyModule) => {
      for (const c of m.#children.values()) visit(c);
      fn(m);
    };
    visit(this);
    return this;
  }

  /** Sets requiresGrad on every parameter (requiresGrad_(false) freezes the module). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Drops every parameter's gradient (setToNone, the default) or fills it with zeros. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone) {
        p.grad = null;
        continue;
      }
      const g = p.grad;
      if (g === null) continue;
      noGrad(() => g.zero_().dispose());
      g.dispose();
    }
  }

  /**
   * Moves parameters and buffers to a device and/or casts floating ones to a dtype, in place: the
   * Tensor objects stay the same (PyTorch's param.data = fn(param.data)), so references held by
   * optimizers remain valid. Integer buffers (num_batches_tracked) keep their dtype.
   */
  to(target: ToTarget): this {
    const o =
      typeof target === "string" ? (isDevice(target) ? { device: target } : { dtype: target as DType }) : target;
    noGrad(() => {
      const convert = (t: Tensor) => {
        const dtype = o.dtype !== undefined && isFloating(t.dtype) ? o.dtype : undefined;
        const moved = t.to({ dtype, device: o.device });
        aten.setData(t, moved);
        moved.dispose();
        const g = t.grad;
        if (g !== null) {
          const gm = g.to({ dtype, device: o.device });
          t.grad = gm;
          gm.dispose();
          g.dispose();
        }
      };
      for (const t of this.parameters()) convert(t);
      for (const t of this.buffers()) convert(t);
    });
    return this;
  }
  double(): this {
    return this.to("float64");
  }
  float(): this {
    return this.to("float32");
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const t of m.#params.values()) t?.dispose();
      for (const s of m.#buffers.values()) s.tensor?.dispose();
      m.#disposed = true;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
  get isDisposed(): boolean {
    return this.#disposed;
  }

  // ---- printing --------------------------------------------------------------------------
  /** One-line summary of this module's settings, shown by toString (PyTorch's extra_repr). */
  extraRepr(): string {
    return "";
  }
  toString(): string {
    const kids = [...this.#children];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const body = kids.map(([n, c]) => `  (${n}): ${c.toString().replaceAll("\n", "\n  ")}`).join("\n");
    return `${head}\n${body}\n)`;
  }
}

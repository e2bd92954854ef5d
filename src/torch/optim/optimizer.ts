// The optimizer core shared by SGD, AdamW and LARS: parameter groups, per-parameter state kept out
// of dispose scopes, zeroGrad, and a PyTorch-shaped state dict (state by parameter index plus the
// groups' hyperparameters). Updates run in place under noGrad inside one tidy scope per step.
import { noGrad } from "../autograd.js";
import { TorchError } from "../errors.js";
import { native } from "../native.js";
import { keep, tidy } from "../scope.js";
import type { Tensor } from "../tensor.js";

/** A parameter, optionally with its state_dict name (LARS uses names to decide exclusions). */
export type ParamEntry = Tensor | readonly [string, Tensor];

/** One group as given by the user: its parameters and hyperparameters overriding the defaults. */
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<ParamEntry> };

/** What an optimizer accepts: parameters (or [name, parameter] pairs), or a list of groups. */
export type ParamsInput<O> = Iterable<ParamEntry> | ParamGroupInput<O>[];

/** A group as the optimizer holds it. Schedulers change `lr` here. */
export type ParamGroup<O> = O & { params: Tensor[]; names: (string | undefined)[] };

/** Per-parameter state: tensors (momentum buffers, moments) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * PyTorch's optimizer state_dict layout: `state` keyed by the parameter's index in group order,
 * `paramGroups` holding each group's hyperparameters and the indices of its parameters.
 * Tensors are fresh handles aliasing the optimizer's buffers (dispose them freely; copy if you
 * need a snapshot that later steps do not change).
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

function isGroupList<O>(p: ParamsInput<O>): p is ParamGroupInput<O>[] {
  if (!Array.isArray(p) || p.length === 0) return false;
  const first = p[0] as unknown;
  return typeof first === "object" && first !== null && !Array.isArray(first) && "params" in first;
}

export abstract class Optimizer<O extends { lr: number }> implements Disposable {
  readonly paramGroups: ParamGroup<O>[] = [];
  protected readonly state = new Map<Tensor, ParamState>();
  readonly #seen = new Set<Tensor>();

  protected constructor(
    params: ParamsInput<O>,
    readonly defaults: O,
    /** Name used in error messages, e.g. "SGD". */
    readonly kind: string,
  ) {
    const groups = isGroupList(params) ? params : [{ params } as ParamGroupInput<O>];
    if (groups.length === 0) throw new TorchError(`${kind}: got an empty parameter list`, "ValueError");
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group (e.g. a new head during fine-tuning); its options default to the constructor's. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const params: Tensor[] = [];
    const names: (string | undefined)[] = [];
    for (const e of group.params) {
      const [name, p] = Array.isArray(e) ? (e as [string, Tensor]) : [undefined, e as Tensor];
      const where = name ?? `parameter ${params.length} of group ${this.paramGroups.length}`;
      if (p === null || typeof p !== "object" || !("handle" in p))
        throw new TorchError(`${this.kind}: ${where} is not a Tensor`, "TypeError");
      if (!p.isLeaf) throw new TorchError(`${this.kind}: can't optimize a non-leaf Tensor (${where})`, "ValueError");
      if (this.#seen.has(p))
        throw new TorchError(`${this.kind}: ${where} appears in more than one parameter group`, "ValueError");
      this.#seen.add(p);
      params.push(p);
      names.push(name);
    }
    if (params.length === 0)
      throw new TorchError(`${this.kind}: parameter group ${this.paramGroups.length} is empty`, "ValueError");
    const { params: _ignored, ...overrides } = group;
    const options = { ...this.defaults, ...overrides } as O;
    this.validate(options, `group ${this.paramGroups.length}`);
    this.paramGroups.push({ ...options, params, names });
  }

  /** Checks one group's hyperparameters; throws naming the bad option and the group. */
  protected abstract validate(o: O, where: string): void;

  /** Updates one parameter in place from its gradient. Runs under noGrad inside a tidy scope. */
  protected abstract update(
    p: Tensor,
    grad: Tensor,
    group: ParamGroup<O>,
    state: ParamState,
    name: string | undefined,
  ): void;

  /**
   * One optimisation step over every parameter that has a gradient. Each parameter's update runs
   * in its own scope, so its temporaries are freed before the next parameter's are allocated and
   * the allocator reuses the same (already mapped) memory, as Python's reference counting does,
   * instead of holding a gradient-sized temporary per parameter until the step ends.
   */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (let i = 0; i < group.params.length; i++) {
          const p = group.params[i] as Tensor;
          tidy(() => {
            const g = p.grad;
            if (g === null) return;
            let st = this.state.get(p);
            if (st === undefined) {
              st = {};
              this.state.set(p, st);
            }
            this.update(p, g, group, st, group.names[i]);
          });
        }
      }
    });
  }

  /** Clears gradients: sets them to None (default, like PyTorch 2) or fills them with zeros. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (setToNone) native.setGrad(p.handle, null);
        else tidy(() => p.grad?.zero_());
      }
    }
  }

  /** Creates a state tensor that survives the step's scope and belongs to this optimizer. */
  protected keepState(st: ParamState, key: string, t: Tensor): Tensor {
    const old = st[key];
    if (typeof old === "object") old.dispose();
    st[key] = keep(t);
    return t;
  }

  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const paramGroups: OptimizerStateDict["paramGroups"] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const { params, names: _names, ...hyper } = group;
      const indices: number[] = [];
      for (const p of params) {
        const st = this.state.get(p);
        if (st !== undefined) {
          const out: ParamState = {};
          for (const [k, v] of Object.entries(st)) out[k] = typeof v === "number" ? v : v.detach();
          state[index] = out;
        }
        indices.push(index++);
      }
      paramGroups.push({ ...serializableOptions(hyper), params: indices });
    }
    return { state, paramGroups };
  }

  /**
   * Restores hyperparameters and state saved by stateDict() for the same parameter layout.
   * Tensors are copied, so the caller may dispose the dict afterwards.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length)
      throw new TorchError(
        `${this.kind}.loadStateDict: the state dict has ${sd.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`,
        "ValueError",
      );
    const byIndex: Tensor[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi] as ParamGroup<O>;
      if (saved.params.length !== group.params.length)
        throw new TorchError(
          `${this.kind}.loadStateDict: group ${gi} has ${saved.params.length} parameters in the state dict but ${group.params.length} in the optimizer`,
          "ValueError",
        );
      saved.params.forEach((idx, k) => {
        byIndex[idx] = group.params[k] as Tensor;
      });
    });
    // Validate everything before changing anything, so a bad dict leaves the optimizer as it was.
    const fresh = new Map<Tensor, ParamState>();
    for (const [key, st] of Object.entries(sd.state)) {
      const p = byIndex[Number(key)];
      if (p === undefined)
        throw new TorchError(
          `${this.kind}.loadStateDict: state for parameter index ${key} matches no parameter`,
          "ValueError",
        );
      for (const [k, v] of Object.entries(st)) {
        if (typeof v === "object" && k !== "step" && v.shape.join(",") !== p.shape.join(","))
          throw new TorchError(
            `${this.kind}.loadStateDict: state '${k}' of parameter ${key} has shape [${v.shape}] but the parameter has [${p.shape}]`,
            "ValueError",
          );
      }
      fresh.set(p, st);
    }
    this.disposeState();
    for (const [p, st] of fresh) {
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(st)) {
        copy[k] =
          typeof v === "number"
            ? v
            : keep(tidy(() => noGrad(() => v.detach().to({ dtype: p.dtype, device: p.device }).clone())));
      }
      this.state.set(p, copy);
    }
    sd.paramGroups.forEach((saved, gi) => {
      const { params: _p, ...hyper } = saved;
      Object.assign(this.paramGroups[gi] as object, hyper);
    });
  }

  protected disposeState(): void {
    for (const st of this.state.values()) for (const v of Object.values(st)) if (typeof v === "object") v.dispose();
    this.state.clear();
  }

  /** Frees the optimizer's state tensors (parameters are not touched). */
  dispose(): void {
    this.disposeState();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Drops functions (e.g. LARS exclusion predicates) that cannot go into a saved state dict. */
function serializableOptions(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v !== "function") out[k] = v;
  return out;
}

/** Throws unless value is a finite number ≥ min (named in the message). */
export function checkNumber(kind: string, where: string, name: string, value: unknown, min = 0, max = Infinity): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
    throw new TorchError(
      `${kind}: invalid ${name} ${String(value)} in ${where}; expected a number in [${min}, ${max === Infinity ? "∞" : max}]`,
      "ValueError",
    );
}

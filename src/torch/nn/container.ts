// Containers: Sequential (children "0", "1", … like PyTorch) and ModuleList.
import { TorchError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { type AnyModule, Module } from "./module.js";

type Layer = Module<[Tensor], Tensor>;

/** Applies its children in order. State-dict keys are "<index>.<param>". */
export class Sequential extends Module {
  #layers: Layer[] = [];

  constructor(...layers: Layer[]) {
    super();
    for (const l of layers) this.append(l);
  }

  append(layer: Layer): this {
    this.registerModule(String(this.#layers.length), layer);
    this.#layers.push(layer);
    return this;
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The i-th layer (negative i counts from the end). */
  at(i: number): Layer {
    const l = this.#layers.at(i);
    if (l === undefined)
      throw new TorchError(`Sequential index ${i} is out of range for ${this.#layers.length} layers`, "IndexError");
    return l;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const l of this.#layers) out = l.call(out);
    return out;
  }
}

/** Holds modules in a list so their parameters are registered; has no forward of its own. */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<never[], never> {
  #items: M[] = [];

  constructor(items: M[] = []) {
    super();
    for (const m of items) this.append(m);
  }

  append(m: M): this {
    this.registerModule(String(this.#items.length), m);
    this.#items.push(m);
    return this;
  }

  get length(): number {
    return this.#items.length;
  }

  at(i: number): M {
    const m = this.#items.at(i);
    if (m === undefined)
      throw new TorchError(`ModuleList index ${i} is out of range for ${this.#items.length} modules`, "IndexError");
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  forward(): never {
    throw new TorchError("ModuleList has no forward(); iterate over its modules", "NotImplementedError");
  }
}

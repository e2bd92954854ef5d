// Module state dicts to and from safetensors files, and optimizer/scheduler state as safetensors
// content: optimizer state tensors become
// `optimizer.state.<paramIndex>.<key>` entries, everything else (param groups, step counts,
// scheduler position) goes into string metadata as JSON. Pair with safetensors.saveFile/loadFile.
import { TorchError } from "./errors.js";
import type { AnyModule, LoadResult } from "./nn/module.js";
import type { SchedulerStateDict } from "./optim/lr_scheduler.js";
import type { OptimizerStateDict, ParamState } from "./optim/optimizer.js";
import { loadFile, saveFile } from "./safetensors.js";
import { tidy } from "./scope.js";
import type { Tensor } from "./tensor.js";

/**
 * Saves a module's state_dict (parameters and persistent buffers, PyTorch key names) atomically.
 * `format: "pt"` marks it as PyTorch-layout weights for Hugging Face tools.
 */
export function saveModule(module: AnyModule, path: string, metadata: Record<string, string> = {}): void {
  tidy(() => saveFile(module.stateDict(), path, { format: "pt", ...metadata }));
}

/**
 * Loads a safetensors state dict into a module (strict by default: unknown or missing keys throw,
 * naming them). With `prefix`, only keys starting with it are used, with the prefix removed
 * (e.g. "encoder." to load a backbone out of a larger checkpoint).
 */
export function loadModule(
  module: AnyModule,
  path: string,
  opts: { strict?: boolean; prefix?: string } = {},
): LoadResult {
  return tidy(() => {
    let state = loadFile(path);
    const prefix = opts.prefix;
    if (prefix !== undefined)
      state = new Map([...state].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    try {
      return module.loadStateDict(state, { strict: opts.strict });
    } catch (e) {
      // Key and shape mismatches name the checkpoint they came from (#14).
      if (!(e instanceof Error)) throw e;
      throw new TorchError(`safetensors file '${path}': ${e.message}`, e instanceof TorchError ? e.kind : "ValueError");
    }
  });
}

const PREFIX = "optimizer.state.";

export interface FlatState {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Flattens an optimizer (and optionally scheduler) state dict for a safetensors file. */
export function flattenOptimizerState(sd: OptimizerStateDict, scheduler?: SchedulerStateDict): FlatState {
  const tensors = new Map<string, Tensor>();
  const scalars: Record<string, Record<string, number>> = {};
  for (const [idx, st] of Object.entries(sd.state)) {
    for (const [k, v] of Object.entries(st)) {
      if (typeof v !== "number") tensors.set(`${PREFIX}${idx}.${k}`, v);
      else {
        scalars[idx] ??= {};
        scalars[idx][k] = v;
      }
    }
  }
  const metadata: Record<string, string> = {
    "optimizer.param_groups": JSON.stringify(sd.paramGroups),
    "optimizer.scalars": JSON.stringify(scalars),
  };
  if (scheduler) metadata.scheduler = JSON.stringify(scheduler);
  return { tensors, metadata };
}

/** Inverse of flattenOptimizerState; tensors without the optimizer prefix are ignored. */
export function unflattenOptimizerState(flat: FlatState): {
  optimizer: OptimizerStateDict;
  scheduler?: SchedulerStateDict;
} {
  const groupsJson = flat.metadata["optimizer.param_groups"];
  if (groupsJson === undefined)
    throw new TorchError(
      "checkpoint has no optimizer state (metadata 'optimizer.param_groups' is missing)",
      "KeyError",
    );
  const paramGroups = parseJson(groupsJson, "optimizer.param_groups") as OptimizerStateDict["paramGroups"];
  const scalars = parseJson(flat.metadata["optimizer.scalars"] ?? "{}", "optimizer.scalars") as Record<
    string,
    Record<string, number>
  >;
  const state: Record<number, ParamState> = {};
  for (const [idx, s] of Object.entries(scalars)) state[Number(idx)] = { ...s };
  for (const [name, t] of flat.tensors) {
    if (!name.startsWith(PREFIX)) continue;
    const rest = name.slice(PREFIX.length);
    const dot = rest.indexOf(".");
    const idx = Number(rest.slice(0, dot));
    if (dot <= 0 || !Number.isInteger(idx)) throw new TorchError(`malformed optimizer state key '${name}'`, "KeyError");
    state[idx] ??= {};
    state[idx][rest.slice(dot + 1)] = t;
  }
  const sched = flat.metadata.scheduler;
  const out: { optimizer: OptimizerStateDict; scheduler?: SchedulerStateDict } = { optimizer: { state, paramGroups } };
  if (sched !== undefined) out.scheduler = parseJson(sched, "scheduler") as SchedulerStateDict;
  return out;
}

function parseJson(s: string, key: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new TorchError(`checkpoint metadata '${key}' is not valid JSON: ${(e as Error).message}`, "ValueError");
  }
}

// Optimizer and scheduler state as safetensors content: state tensors become
// `optimizer.state.<paramIndex>.<key>` entries, everything else (param groups, step counts,
// scheduler position) goes into string metadata as JSON. Pair with safetensors.saveFile/loadFile.
import { TorchError } from "./errors.js";
import type { SchedulerStateDict } from "./optim/lr_scheduler.js";
import type { OptimizerStateDict, ParamState } from "./optim/optimizer.js";
import type { Tensor } from "./tensor.js";

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

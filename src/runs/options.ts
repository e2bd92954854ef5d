// The options every training command shares, so `facelab <anything> --set optim.lr=0.1` works the same
// everywhere: --config, --set (repeatable), --runs, --name, --quiet, --json-log.
import type { Command } from "commander";
import type { z } from "zod";
import { loadConfig } from "./config.js";
import { Run } from "./run.js";

export interface RunCliOptions {
  config?: string;
  set: string[];
  runs: string;
  name?: string;
  quiet?: boolean;
  jsonLog?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function addRunOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "YAML config file")
    .option("-s, --set <key=value>", "override a config key (dotted path; repeatable)", collect, [] as string[])
    .option("--runs <dir>", "directory to create the run directory in", "runs")
    .option("--name <name>", "run name (default: the command's)")
    .option("-q, --quiet", "no progress bars (same as FACELAB_QUIET=1)")
    .option("--json-log", "one JSON line per epoch on stdout instead of bars (same as FACELAB_LOG=json)");
}

/** Validates the config (file, then --set) and creates the run directory with it. */
export async function startRun<S extends z.ZodType>(
  opts: RunCliOptions,
  schema: S,
  defaults: { name: string; base?: Record<string, unknown>; device?: string; kind?: "run" | "study" },
): Promise<{ run: Run; config: z.output<S> }> {
  if (opts.quiet) process.env.FACELAB_QUIET = "1";
  if (opts.jsonLog) process.env.FACELAB_LOG = "json";
  const config = loadConfig(schema, {
    ...(opts.config !== undefined && { file: opts.config }),
    ...(defaults.base && { base: defaults.base }),
    sets: opts.set,
  });
  const run = await Run.create({
    root: opts.runs,
    name: opts.name ?? defaults.name,
    config,
    ...(defaults.device && { device: defaults.device }),
    ...(defaults.kind && { kind: defaults.kind }),
  });
  return { run, config };
}

// Option helpers every config-driven command shares: a recipe name or YAML path, and repeatable --set.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** configs/ of the source tree: the named recipes. */
export const CONFIG_DIR = resolve(dirname(new URL(import.meta.url).pathname), "../../configs");

/** The recipes in configs/ whose names start with `prefix` (train-, bias-), sorted: help that cannot go stale. */
export function recipeNames(prefix: string): string[] {
  return readdirSync(CONFIG_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

/** A recipe name (simclr-fmnist) or a path to a YAML file; `hint` says where to find the names. */
export function configPath(arg: string, hint: string): string {
  if (existsSync(arg)) return arg;
  const named = join(CONFIG_DIR, arg.endsWith(".yaml") ? arg : `${arg}.yaml`);
  if (existsSync(named)) return named;
  throw new Error(`no config file '${arg}' and no recipe of that name in ${CONFIG_DIR} (${hint})`);
}

/** commander's reducer for a repeatable option (--set a=1 --set b=2). */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `--stop-after <epochs>`: undefined when absent, else a positive integer (the message names the option). */
export function parseStopAfter(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--stop-after must be a positive integer, got '${v}'`);
  return n;
}

// Run configs: a YAML file (or object), then `--set key=value` overrides, then a zod schema.
// Keys the schema does not know are errors that name the key: a typo such as `optim.lrr` must not
// silently train with the default learning rate.
import { readFileSync } from "node:fs";
import YAML from "yaml";
import type { z } from "zod";

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses `key.path=value`. The value is read as YAML so `0.1` is a number, `true` a boolean,
 * `[1,2]` a list, `null` null, and anything else a string.
 */
export function parseSet(arg: string): { path: string[]; value: unknown } {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${arg}"`);
  const path = arg.slice(0, eq).trim().split(".");
  if (path.some((p) => p === "")) throw new ConfigError(`--set key "${arg.slice(0, eq)}" has an empty part`);
  const raw = arg.slice(eq + 1);
  let value: unknown;
  try {
    value = raw.trim() === "" ? "" : YAML.parse(raw);
  } catch {
    value = raw; // unparsable as YAML (e.g. "a: b: c"): keep the text
  }
  return { path, value };
}

/** Sets `obj[path]`, creating intermediate objects; refuses to descend into a non-object. */
export function applySet(obj: Plain, path: string[], value: unknown): void {
  let cur: Plain = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (cur[k] === undefined) cur[k] = {};
    const next = cur[k];
    if (!isPlain(next)) {
      throw new ConfigError(`--set ${path.join(".")}: "${path.slice(0, i + 1).join(".")}" is not a section`);
    }
    cur = next;
  }
  cur[path[path.length - 1]!] = value;
}

/** Keys present in `input` but absent from zod's (stripping) `output`, as dotted paths. */
function unknownKeys(input: unknown, output: unknown, prefix: string[] = []): string[] {
  if (!isPlain(input) || !isPlain(output)) {
    if (Array.isArray(input) && Array.isArray(output)) {
      return input.flatMap((v, i) => unknownKeys(v, output[i], [...prefix, String(i)]));
    }
    return [];
  }
  return Object.keys(input).flatMap((k) =>
    k in output ? unknownKeys(input[k], output[k], [...prefix, k]) : [[...prefix, k].join(".")],
  );
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length ? i.path.join(".") : "(root)";
      if (i.code === "unrecognized_keys") {
        return i.keys.map((k) => `unknown config key "${[...i.path, k].join(".")}"`).join("; ");
      }
      return `config key "${where}": ${i.message}`;
    })
    .join("; ");
}

export interface LoadConfigOptions {
  /** YAML file to read; its top level must be a mapping. */
  file?: string;
  /** Starting values (applied before the file). */
  base?: Plain;
  /** `key.path=value` overrides, applied last. */
  sets?: string[];
}

/** Reads, overrides and validates a config. Throws ConfigError naming the first bad or unknown keys. */
export function loadConfig<S extends z.ZodType>(schema: S, opts: LoadConfigOptions = {}): z.output<S> {
  let raw: Plain = structuredClone(opts.base ?? {});
  if (opts.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = YAML.parse(readFileSync(opts.file, "utf8"));
    } catch (e) {
      throw new ConfigError(`cannot read config ${opts.file}: ${(e as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined && !isPlain(parsed)) {
      throw new ConfigError(`config ${opts.file} must be a YAML mapping at the top level`);
    }
    raw = deepMerge(raw, (parsed as Plain | null) ?? {});
  }
  for (const s of opts.sets ?? []) {
    const { path, value } = parseSet(s);
    applySet(raw, path, value);
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error));
  const unknown = unknownKeys(raw, result.data);
  if (unknown.length) {
    throw new ConfigError(unknown.map((k) => `unknown config key "${k}"`).join("; "));
  }
  return result.data;
}

function deepMerge(a: Plain, b: Plain): Plain {
  const out: Plain = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  return out;
}

/** The config as YAML, for `config.yaml` in a run directory. */
export const configToYaml = (config: unknown): string => YAML.stringify(config);

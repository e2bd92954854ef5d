// Run configs: a YAML file (or object), then `--set key=value` overrides, then a zod schema.
// Keys the schema does not know are errors that name the key: a typo such as `optim.lrr` must not
// silently train with the default learning rate.
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import YAML from "yaml";
import type { z } from "zod";

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

/** A run config is a few kB; anything near this is not one. */
const MAX_CONFIG_BYTES = 16 * 2 ** 20;

/** Keys that would reach Object.prototype through a merge or an assignment (#14). */
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

/** Throws naming the first prototype key anywhere in value (YAML mappings, lists of mappings). */
function rejectPrototypeKeys(value: unknown, where: string, prefix: string[] = []): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) rejectPrototypeKeys(v, where, [...prefix, String(i)]);
  } else if (isPlain(value))
    for (const k of Object.keys(value)) {
      const path = [...prefix, k];
      if (FORBIDDEN.has(k))
        throw new ConfigError(`${where}: key "${path.join(".")}" is not allowed (${k} could change every object)`);
      rejectPrototypeKeys(value[k], where, path);
    }
}

/**
 * Parses `key.path=value`. The value is read as YAML so `0.1` is a number, `true` a boolean,
 * `[1,2]` a list, `null` null, and anything else a string.
 */
export function parseSet(arg: string): { path: string[]; value: unknown } {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${arg}"`);
  const path = arg.slice(0, eq).trim().split(".");
  if (path.some((p) => p === "")) throw new ConfigError(`--set key "${arg.slice(0, eq)}" has an empty part`);
  const bad = path.find((k) => FORBIDDEN.has(k));
  if (bad !== undefined) throw new ConfigError(`--set ${arg.slice(0, eq)}: key "${bad}" is not allowed`);
  const raw = arg.slice(eq + 1);
  let value: unknown;
  try {
    value = raw.trim() === "" ? "" : YAML.parse(raw, { logLevel: "error" });
  } catch {
    value = raw; // unparsable as YAML (e.g. "a: b: c"): keep the text
  }
  rejectPrototypeKeys(value, `--set ${arg.slice(0, eq)}`, path);
  return { path, value };
}

/** Sets `obj[path]`, creating intermediate objects; refuses to descend into a non-object. */
export function applySet(obj: Plain, path: string[], value: unknown): void {
  const bad = path.find((k) => FORBIDDEN.has(k));
  if (bad !== undefined) throw new ConfigError(`--set ${path.join(".")}: key "${bad}" is not allowed`);
  let cur: Plain = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (!Object.hasOwn(cur, k)) cur[k] = {};
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
  if (opts.file !== undefined) raw = deepMerge(raw, readConfigFile(opts.file));
  for (const s of opts.sets ?? []) {
    const { path, value } = parseSet(s);
    applySet(raw, path, value);
  }
  // Value errors name where the values came from: the file and any --set overrides.
  const from = [
    opts.file !== undefined && `config ${opts.file}`,
    opts.sets?.length && `--set ${opts.sets.map((x) => x.slice(0, Math.max(0, x.indexOf("=")))).join(", ")}`,
  ].filter(Boolean);
  const where = from.length ? `${from.join(" with ")}: ` : "";
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(where + formatIssues(result.error));
  const unknown = unknownKeys(raw, result.data);
  if (unknown.length) {
    throw new ConfigError(where + unknown.map((k) => `unknown config key "${k}"`).join("; "));
  }
  return result.data;
}

/** Reads a YAML config file: valid UTF-8, not empty, a mapping at the top, no prototype keys. */
export function readConfigFile(file: string): Plain {
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO in place of the file is refused at once instead of waiting for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ConfigError(`cannot read config ${file}: is a folder, expected a YAML file`);
    if (!st.isFile())
      throw new ConfigError(`cannot read config ${file}: not a regular file (a FIFO, socket or device)`);
    if (st.size > MAX_CONFIG_BYTES)
      throw new ConfigError(`cannot read config ${file}: ${st.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
    bytes = readFileSync(fd);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `cannot read config ${file}: ${code === "EISDIR" ? "is a folder, expected a YAML file" : (e as Error).message}`,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`config ${file} is not valid UTF-8 text`);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  if (parsed === null || parsed === undefined) throw new ConfigError(`empty config file ${file}`);
  if (!isPlain(parsed)) throw new ConfigError(`config ${file} must be a YAML mapping at the top level`);
  rejectPrototypeKeys(parsed, `config ${file}`);
  return parsed;
}

/** Merges b over a into a new object; prototype keys are refused (never assigned through `out[k]`). */
export function deepMerge(a: Plain, b: Plain): Plain {
  const out: Plain = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (FORBIDDEN.has(k)) throw new ConfigError(`config key "${k}" is not allowed`);
    const cur = Object.hasOwn(out, k) ? out[k] : undefined;
    out[k] = isPlain(v) && isPlain(cur) ? deepMerge(cur, v) : v;
  }
  return out;
}

/** The config as YAML, for `config.yaml` in a run directory. */
export const configToYaml = (config: unknown): string => YAML.stringify(config);

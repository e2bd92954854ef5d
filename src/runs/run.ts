// A run directory: config.yaml, env.json, metrics.jsonl, TensorBoard events, status.json,
// summary.json, report.json (chart descriptors, see src/report/README.md) and checkpoints/.
// A study is a run of kind "study" whose child runs live inside its directory.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CheckpointDir } from "../torch/checkpoints.js";
import { configToYaml } from "./config.js";
import { collectEnv } from "./env.js";
import { EventWriter } from "./tfevents.js";

export type RunState = "running" | "finished" | "crashed";

export interface RunStatus {
  kind: "run" | "study";
  name: string;
  state: RunState;
  started: string;
  ended?: string;
  error?: string;
  pid: number;
}

export interface MetricRecord {
  step: number;
  epoch?: number;
  tag: string;
  value: number;
  /** Unix time in seconds. */
  time: number;
}

/** What the training code hands to the report (see src/report/README.md). */
export interface ChartDescriptor {
  kind: string;
  title: string;
  data: unknown;
  [extra: string]: unknown;
}

export interface RunOptions {
  /** Directory runs are created in (a runs root, or a study's directory). */
  root: string;
  /** Letters, digits, `.`, `_`, `-`. */
  name: string;
  kind?: "run" | "study";
  /** The validated config, written to config.yaml. */
  config?: unknown;
  device?: string;
  argv?: string[];
  /** `timestamp`: <name>-YYYYMMDD-HHMMSS; `plain`: <name>. Either gets -2, -3… when taken. */
  naming?: "timestamp" | "plain";
  keepCheckpoints?: number;
  /** Mark the run crashed on uncaught exceptions, signals and early exit (default true). */
  crashHooks?: boolean;
  /** Milliseconds since the epoch; injectable so tests do not depend on the wall clock. */
  clock?: () => number;
}

const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

/** Creates `<root>/<base>`, or `<base>-2`, `-3`… — mkdir without `recursive` fails if taken, so two
 * processes can never both get the same directory. */
export function createUniqueDir(root: string, base: string): string {
  mkdirSync(root, { recursive: true });
  for (let i = 1; i < 10_000; i++) {
    const dir = join(root, i === 1 ? base : `${base}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  throw new Error(`could not find a free directory name for ${base} in ${root}`);
}

function writeJsonAtomic(path: string, value: unknown): void {
  // Readers (the dashboard) must never see half a file: write aside, then rename.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export class Run {
  readonly dir: string;
  readonly name: string;
  readonly kind: "run" | "study";
  readonly checkpoints: CheckpointDir;
  private status: RunStatus;
  private events: EventWriter | undefined;
  private readonly clock: () => number;

  private constructor(dir: string, opts: RunOptions, clock: () => number) {
    this.dir = dir;
    this.name = opts.name;
    this.kind = opts.kind ?? "run";
    this.clock = clock;
    this.checkpoints = new CheckpointDir(join(dir, "checkpoints"), { keepLast: opts.keepCheckpoints ?? 3 });
    this.status = {
      kind: this.kind,
      name: opts.name,
      state: "running",
      started: new Date(clock()).toISOString(),
      pid: process.pid,
    };
  }

  static async create(opts: RunOptions): Promise<Run> {
    const char = opts.name.match(/[^\w.-]/)?.[0];
    const bad =
      char !== undefined
        ? `contains ${JSON.stringify(char)}`
        : opts.name === ""
          ? "is empty"
          : "starts with '.' (a hidden folder the dashboard would not list)";
    if (!/^[\w.-]+$/.test(opts.name) || opts.name.startsWith(".")) {
      throw new Error(
        `run name "${opts.name}" ${bad}; it names a folder under ${opts.root}, so it may only contain letters, digits, ".", "_" and "-" and may not start with "."`,
      );
    }
    const clock = opts.clock ?? Date.now;
    const base = (opts.naming ?? "timestamp") === "timestamp" ? `${opts.name}-${stamp(clock())}` : opts.name;
    const dir = createUniqueDir(resolve(opts.root), base);
    const run = new Run(dir, opts, clock);
    writeFileSync(join(dir, "config.yaml"), configToYaml(opts.config ?? {}));
    writeJsonAtomic(join(dir, "env.json"), await collectEnv({ device: opts.device, argv: opts.argv }));
    writeFileSync(join(dir, "metrics.jsonl"), "");
    run.writeStatus();
    if (opts.crashHooks ?? true) watch(run);
    return run;
  }

  get state(): RunState {
    return this.status.state;
  }

  /** Appends one metric to metrics.jsonl and to the TensorBoard event file. */
  log(tag: string, value: number, at: { step: number; epoch?: number }): void {
    if (!Number.isInteger(at.step) || at.step < 0)
      throw new RangeError(`metric "${tag}": step must be a non-negative integer, got ${at.step}`);
    const rec: MetricRecord = {
      step: at.step,
      ...(at.epoch !== undefined && { epoch: at.epoch }),
      tag,
      value,
      time: this.clock() / 1000,
    };
    // JSON has no NaN/Infinity; keep the record (a diverged loss is news) with the value as a string.
    const line = Number.isFinite(value) ? JSON.stringify(rec) : JSON.stringify({ ...rec, value: String(value) });
    appendFileSync(join(this.dir, "metrics.jsonl"), `${line}\n`);
    this.tb().scalar(tag, value, at.step);
  }

  /** Logs several tags at one step. */
  logAll(values: Record<string, number>, at: { step: number; epoch?: number }): void {
    for (const [tag, v] of Object.entries(values)) this.log(tag, v, at);
  }

  /** A PNG (confusion matrix, augmentation grid) into TensorBoard's Images tab and `images/<tag>-<step>.png`. */
  image(tag: string, png: Uint8Array, at: { step: number }): string {
    const size = pngSize(png);
    this.tb().image(tag, png, at.step, size);
    mkdirSync(join(this.dir, "images"), { recursive: true });
    const path = join(this.dir, "images", `${tag.replace(/[^\w.-]/g, "_")}-${at.step}.png`);
    writeFileSync(path, png);
    return path;
  }

  /** Adds a chart for `facelab report` to report.json (contract in src/report/README.md). */
  chart(desc: ChartDescriptor): void {
    if (typeof desc.kind !== "string" || typeof desc.title !== "string")
      throw new TypeError("chart needs a string kind and title");
    const path = join(this.dir, "report.json");
    const list = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as ChartDescriptor[]) : [];
    list.push(desc);
    writeJsonAtomic(path, list);
  }

  /** Merges numbers (or nested records) into summary.json. */
  summary(patch: Record<string, unknown>): void {
    const path = join(this.dir, "summary.json");
    const cur = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
    writeJsonAtomic(path, { ...cur, ...patch });
  }

  finish(summary?: Record<string, unknown>): void {
    if (summary) this.summary(summary);
    this.end("finished");
  }

  fail(error: unknown): void {
    this.end("crashed", error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }

  /** Runs `fn`, then marks the run finished, or crashed (and rethrows) if it throws. */
  async execute<T>(fn: (run: Run) => Promise<T> | T): Promise<T> {
    try {
      const out = await fn(this);
      if (this.state === "running") this.finish();
      return out;
    } catch (e) {
      if (this.state === "running") this.fail(e);
      throw e;
    }
  }

  /** @internal used by the crash hooks. */
  end(state: "finished" | "crashed", error?: string): void {
    if (this.status.state !== "running") return;
    this.status = { ...this.status, state, ended: new Date(this.clock()).toISOString(), ...(error && { error }) };
    this.writeStatus();
    active.delete(this);
  }

  private writeStatus(): void {
    writeJsonAtomic(join(this.dir, "status.json"), this.status);
  }

  private tb(): EventWriter {
    this.events ??= new EventWriter(this.dir, { clock: this.clock });
    return this.events;
  }
}

/** Width/height/channels from a PNG's IHDR chunk (bytes 16-25 of the file, PNG spec §11.2.2). */
export function pngSize(png: Uint8Array): { width: number; height: number; channels: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47];
  if (png.length < 26 || sig.some((b, i) => png[i] !== b)) throw new TypeError("image must be PNG bytes");
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const colorType = png[25]!;
  const channels = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 3 | 4 | 6] ?? 4;
  return { width: dv.getUint32(16), height: dv.getUint32(20), channels };
}

// --- crash hooks: one set of process listeners shared by all active runs ---

const active = new Set<Run>();
let hooked = false;

function markAll(message: string): void {
  for (const r of [...active]) r.end("crashed", message);
}

function watch(run: Run): void {
  active.add(run);
  if (hooked) return;
  hooked = true;
  // The monitor sees the error without changing Node's default crash behaviour.
  process.on("uncaughtExceptionMonitor", (err) =>
    markAll(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
  );
  process.on("exit", (code) => markAll(`process exited with code ${code} before the run finished`));
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      markAll(`interrupted by ${sig}`);
      // If nobody else handles the signal, restore the default action (terminate) and re-raise it.
      if (process.listenerCount(sig) === 1) {
        process.off(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

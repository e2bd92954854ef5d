// The dashboard server behind `facelab serve`: node:http, read-only on the runs root.
// Routes:
//   GET /                          the single-page dashboard (web/public)
//   GET /static/<file>             its scripts and styles; /vendor/vega*.js from node_modules
//   GET /api/runs                  runs and studies with status (tree)
//   GET /api/run/<id>              status, summary, config of one run; its findings as HTML (the report's
//                                  own renderer), total epochs for the progress line, a study's cell grid
//   GET /api/run/<id>/metrics      all metric records (?from=<byte offset> to continue)
//   GET /api/run/<id>/events       Server-Sent Events: `metrics` batches as metrics.jsonl grows, `status` changes
//   GET /api/spec/<loss|accuracy>  the Vega-Lite spec the report uses, with data left to the client
//   GET /report/<id>               the run's report.html, or one rendered in memory (nothing is written)
//   GET /files/<path>              any file under the runs root (PNG/SVG charts, TensorBoard events)
// <id> is a run's path relative to the root, each segment URL-encoded. Paths are checked segment by
// segment and again after resolving symlinks, so nothing outside the root is ever read.
import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { accuracyCurve, lossCurves } from "../src/report/charts/curves.js";
import { pageFromSummary } from "../src/report/findings/index.js";
import { findingsHtml, readPage, reportPage } from "../src/report/index.js";
import { summaryHtml } from "../src/report/summary-html.js";
import { isRunDir, listRuns, readMetrics, readRun } from "../src/runs/scan.js";
import { cells, parseBiasConfig } from "../src/studies/bias/config.js";
import { donePath } from "../src/studies/bias/results.js";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const VENDOR: Record<string, string> = {
  "vega.min.js": join(dirname(require.resolve("vega")), "vega.min.js"),
  "vega-lite.min.js": join(dirname(require.resolve("vega-lite")), "vega-lite.min.js"),
};
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".jsonl": "application/x-ndjson",
  ".yaml": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decodes URL path segments and resolves them under `root`. Refuses `.`/`..`, empty segments, and
 * segments that decode to separators or NUL (e.g. `%2e%2e`, `..%2f`), then resolves symlinks and
 * checks the real path is still inside the real root.
 */
export function resolveInside(root: string, segments: string[]): string {
  const parts = segments.map((s) => {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw new HttpError(400, "malformed path encoding");
    }
    if (d === "" || d === "." || d === ".." || /[/\\\0]/.test(d))
      throw new HttpError(403, "path outside the runs root");
    return d;
  });
  const realRoot = realpathSync(root);
  const path = join(realRoot, ...parts);
  if (!existsSync(path)) throw new HttpError(404, "not found");
  const real = realpathSync(path);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new HttpError(403, "path outside the runs root");
  return real;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}

const json = (res: ServerResponse, value: unknown): void => send(res, 200, JSON.stringify(value), TYPES[".json"]);

function runDir(root: string, segments: string[]): string {
  if (segments.length === 0) throw new HttpError(404, "no run given");
  const dir = resolveInside(root, segments);
  if (!isRunDir(dir)) throw new HttpError(404, "not a run directory");
  return dir;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Streams metrics.jsonl growth and status.json changes to one client; polls every `pollMs`. */
function events(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  dir: string,
  from: number,
  pollMs: number,
): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  let offset = from;
  let lastStatus = "";
  const tick = (): void => {
    const { records, next } = readMetrics(dir, offset);
    offset = next;
    if (records.length) res.write(`event: metrics\ndata: ${JSON.stringify({ records, next })}\n\n`);
    const status = readText(join(dir, "status.json")) ?? "";
    if (status !== lastStatus) {
      lastStatus = status;
      res.write(`event: status\ndata: ${JSON.stringify(readRun(root, dir))}\n\n`);
    }
  };
  tick();
  const timer = setInterval(tick, pollMs);
  const beat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  req.on("close", () => {
    clearInterval(timer);
    clearInterval(beat);
  });
}

function liveSpec(kind: string): unknown {
  const spec = (kind === "loss" ? lossCurves([]) : kind === "accuracy" ? accuracyCurve([]) : undefined) as
    | Record<string, unknown>
    | undefined;
  if (!spec) throw new HttpError(404, `no live chart "${kind}"`);
  // The browser streams rows into the named data set "points"; the view re-lays itself out as legends
  // grow (resize), and the legend sits below so long "run: tag" names in comparisons are not cut.
  const config = {
    ...(spec.config as Record<string, unknown>),
    legend: { orient: "bottom", columns: 2, labelLimit: 400 },
  };
  return {
    ...spec,
    data: { name: "points" },
    width: 540,
    height: 250,
    autosize: { type: "pad", resize: true },
    config,
  };
}

/** The run's findings as the report renders them (tables and sentences; charts stay in the report). */
function findingsOf(dir: string, summary: string | undefined): string | null {
  try {
    const parsed = summary ? (JSON.parse(summary) as Record<string, unknown>) : undefined;
    const page = readPage(dir) ?? pageFromSummary(parsed);
    if (page) return findingsHtml(page, () => undefined);
    return parsed ? summaryHtml(parsed) : null;
  } catch (e) {
    return `<p class="error">${(e as Error).message.replace(/[&<>]/g, " ")}</p>`;
  }
}

export interface GridCell {
  id: string;
  row: string;
  col: string;
  state: "done" | "failed" | "running" | "pending";
  detail?: string;
}

/**
 * A bias study's cells (splits × losses × seeds, from its config) with their state: done (a done
 * marker), failed (failed-<cell>.txt), running (the first unfinished cell while the study runs), pending.
 */
export function studyGrid(dir: string, config: string | null): { rowTitle: string; cells: GridCell[] } | null {
  if (!config) return null;
  let list: ReturnType<typeof cells>;
  try {
    const raw = YAML.parse(config) as Record<string, unknown> | null;
    if (!raw || !("splits" in raw) || !("losses" in raw)) return null;
    list = cells(parseBiasConfig(raw));
  } catch {
    return null;
  }
  const running = readRun(join(dir, ".."), dir).state === "running";
  let claimed = false;
  return {
    rowTitle: "training split",
    cells: list.map((c) => {
      const failed = readText(join(dir, `failed-${c.id}.txt`));
      let state: GridCell["state"] = existsSync(donePath(dir, c.id)) ? "done" : failed ? "failed" : "pending";
      if (state === "pending" && running && !claimed) {
        state = "running";
        claimed = true;
      }
      return {
        id: c.id,
        row: c.split.name,
        col: `${c.loss.label} s${c.seed}`,
        state,
        ...(failed && { detail: failed.trim() }),
      };
    }),
  };
}

/** A bias study's grid (its progress is cells done, not epochs); any other run's total epochs. */
function studyProgress(
  dir: string,
  config: string | null,
): { epochs: number | null; grid: ReturnType<typeof studyGrid> } {
  const grid = studyGrid(dir, config);
  return { epochs: grid ? null : totalEpochs(config), grid };
}

/** Epochs the run will train for, from its config (pretrain.epochs, train.epochs or epochs). */
export function totalEpochs(config: string | null): number | null {
  if (!config) return null;
  try {
    const c = YAML.parse(config) as Record<string, Record<string, unknown> | unknown> | null;
    const pick = (v: unknown) => (typeof v === "number" && v > 0 ? v : undefined);
    const sub = (k: string) =>
      c?.[k] && typeof c[k] === "object" ? (c[k] as Record<string, unknown>).epochs : undefined;
    return pick(sub("pretrain")) ?? pick(sub("train")) ?? pick(c?.epochs) ?? null;
  } catch {
    return null;
  }
}

async function handle(root: string, pollMs: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "the dashboard is read-only");
  // The raw path is split before any normalisation, so `..` (plain or encoded) is seen and refused.
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const pathname = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const [head, ...rest] = pathname.split("/").slice(1);
  if (head === "" && rest.length === 0) {
    return send(res, 200, readFileSync(join(here, "public", "index.html")), TYPES[".html"]);
  }
  if (head === "favicon.ico") {
    res.writeHead(204).end();
    return;
  }
  if (head === "static" && rest.length === 1) {
    return send(
      res,
      200,
      readFileSync(resolveInside(join(here, "public"), rest)),
      TYPES[extname(rest[0]!)] ?? "text/plain",
    );
  }
  if (head === "vendor" && rest.length === 1 && VENDOR[rest[0]!]) {
    return send(res, 200, readFileSync(VENDOR[rest[0]!]!), TYPES[".js"]);
  }
  if (head === "api") {
    const [what, ...args] = rest;
    if (what === "runs" && args.length === 0) return json(res, listRuns(root));
    if (what === "spec" && args.length === 1) return json(res, liveSpec(args[0]!));
    if (what === "run") {
      const tail = args.at(-1);
      if (tail === "metrics" || tail === "events") {
        const dir = runDir(root, args.slice(0, -1));
        const from = Math.max(0, Number(query.get("from") ?? 0) || 0);
        if (tail === "events") return events(req, res, root, dir, from, pollMs);
        return json(res, readMetrics(dir, from));
      }
      const dir = runDir(root, args);
      const summary = readText(join(dir, "summary.json"));
      const config = readText(join(dir, "config.yaml")) ?? null;
      return json(res, {
        ...readRun(root, dir),
        summary: summary ? JSON.parse(summary) : null,
        config,
        findings: findingsOf(dir, summary),
        ...studyProgress(dir, config),
      });
    }
  }
  if (head === "report") {
    const dir = runDir(root, rest);
    const file = join(dir, "report.html");
    return send(res, 200, existsSync(file) ? readFileSync(file) : await reportPage(dir), TYPES[".html"]);
  }
  if (head === "files" && rest.length > 0) {
    const path = resolveInside(root, rest);
    if (!statSync(path).isFile()) throw new HttpError(404, "not a file");
    res.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "x-content-type-options": "nosniff",
    });
    createReadStream(path).pipe(res);
    return;
  }
  throw new HttpError(404, "not found");
}

export interface DashboardOptions {
  root: string;
  port?: number;
  host?: string;
  /** How often live views look for new metrics (ms). */
  pollMs?: number;
}

/** Starts the dashboard; resolves once listening, with its URL. */
export async function startDashboard(opts: DashboardOptions): Promise<{ server: Server; url: string }> {
  if (!existsSync(opts.root) || !statSync(opts.root).isDirectory())
    throw new Error(`runs directory not found: ${opts.root}`);
  const root = realpathSync(opts.root);
  const pollMs = opts.pollMs ?? 500;
  const server = createServer((req, res) => {
    handle(root, pollMs, req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent)
        send(res, status, status === 500 ? `internal error: ${(e as Error).message}` : (e as Error).message);
      else res.end();
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 6060, host, ok);
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/` };
}

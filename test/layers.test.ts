// DESIGN.md "Layers": each folder imports only from the layers above it. This test reads every
// import (static, re-export, dynamic) of src/ and web/ with TypeScript's own pre-processor and
// fails on any import that points down the list.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import ts from "typescript";

// DESIGN.md's order, top (imported by everyone) to bottom: eval/ and runs/ sit above methods/ (the
// trainer logs metrics and writes runs), web/ above cli/ (`facelab serve` starts the dashboard).
const LAYERS = ["torch", "models", "losses", "data", "eval", "runs", "methods", "studies", "report", "web", "cli"];

const root = resolve(".");
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return e === "public" || e === "node_modules" ? [] : sources(p);
    return /\.(ts|mts|js|mjs)$/.test(e) && !e.endsWith(".d.ts") ? [p] : [];
  });

/** The layer a file belongs to (its first folder under src/, or "web"), or undefined outside them. */
function layerOf(file: string): string | undefined {
  const parts = relative(root, file).split(sep);
  if (parts[0] === "web") return "web";
  if (parts[0] === "src" && parts.length > 2) return parts[1];
  return undefined;
}

/** "from → to (layer → layer)" for every relative import of file that points down the layer list. */
export function violations(file: string, code: string): string[] {
  const from = layerOf(file);
  if (from === undefined) return [];
  const info = ts.preProcessFile(code, true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith(".")) continue; // packages and node: builtins
    const target = resolve(dirname(file), ref.fileName);
    const to = layerOf(target);
    if (to === undefined) {
      out.push(`${relative(root, file)} imports ${ref.fileName}, outside src/ and web/`);
      continue;
    }
    if (LAYERS.indexOf(to) > LAYERS.indexOf(from))
      out.push(`${relative(root, file)} imports ${relative(root, target)} (${from}/ may not import ${to}/)`);
  }
  return out;
}

test("every folder of src/ is a known layer", () => {
  const folders = readdirSync("src").filter((e) => statSync(join("src", e)).isDirectory());
  assert.deepEqual(
    folders.filter((f) => !LAYERS.includes(f)),
    [],
    "new top-level folder: add it to DESIGN.md's layer table and to LAYERS",
  );
});

test("imports follow the DESIGN.md layer order", () => {
  const files = [...sources("src"), ...sources("web")];
  assert.ok(files.length > 100, `found only ${files.length} source files`);
  const bad = files.flatMap((f) => violations(f, readFileSync(f, "utf8")));
  assert.deepEqual(bad, []);
});

test("the checker catches downward imports of every form", () => {
  const f = join(root, "src", "methods", "x.ts");
  assert.deepEqual(violations(f, 'import { Run } from "../studies/simclr/study.js";'), [
    "src/methods/x.ts imports src/studies/simclr/study.js (methods/ may not import studies/)",
  ]);
  assert.deepEqual(
    violations(f, 'import { Run } from "../runs/index.js"; import { knn } from "../eval/index.js";'),
    [],
  );
  assert.equal(violations(f, 'export { a } from "../studies/simclr.js";').length, 1);
  assert.equal(violations(f, 'const m = await import("../cli/main.js");').length, 1);
  assert.equal(violations(f, 'import type { T } from "../report/index.js";').length, 1);
  assert.deepEqual(violations(f, 'import { tidy } from "../torch/index.js"; import { h } from "./heads.js";'), []);
  assert.deepEqual(violations(join(root, "src", "torch", "nn", "y.ts"), 'import { a } from "../../data/rng.js";'), [
    "src/torch/nn/y.ts imports src/data/rng.js (torch/ may not import data/)",
  ]);
});

/** Every relative import (static, type-only, re-export or dynamic) of each src/ file, resolved to .ts paths. */
function importGraph(files: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) {
    const refs = ts.preProcessFile(readFileSync(f, "utf8"), true, true).importedFiles;
    g.set(
      f,
      refs
        .filter((r) => r.fileName.startsWith("."))
        .map((r) => resolve(dirname(f), r.fileName).replace(/\.js$/, ".ts")),
    );
  }
  return g;
}

test("no import cycles inside src/ (issue #12: bias-cell ↔ bias-grid, bias-curves ↔ bias-metrics)", () => {
  const g = importGraph(sources("src"));
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(root, p)).join(" → "));
      return;
    }
    state.set(f, "open");
    for (const t of g.get(f) ?? []) if (g.has(t)) visit(t, [...path, f]);
    state.set(f, "done");
  };
  for (const f of g.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

// DESIGN.md "Layers": each folder imports only from the layers above it. This test reads every
// import (static, re-export, dynamic) of src/ and web/ with TypeScript's own pre-processor and
// fails on any import that points down the list.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import ts from "typescript";

// DESIGN.md's order, top (imported by everyone) to bottom, with two rows placed where the code
// they describe needs them, as DESIGN.md's table lists them otherwise:
// - runs/ (run directories, metrics, events) imports only torch/'s CheckpointDir, while studies/
//   recipes write their results into runs, so runs/ sits above studies/ (the table has it below);
// - web/ is the dashboard that cli's `facelab serve` starts, so it sits above cli/ (the table has
//   it last).
const LAYERS = ["torch", "models", "losses", "data", "methods", "eval", "runs", "studies", "report", "web", "cli"];

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
  assert.deepEqual(violations(f, 'import { Run } from "../runs/index.js";'), [
    "src/methods/x.ts imports src/runs/index.js (methods/ may not import runs/)",
  ]);
  assert.equal(violations(f, 'export { a } from "../studies/simclr.js";').length, 1);
  assert.equal(violations(f, 'const m = await import("../cli/main.js");').length, 1);
  assert.equal(violations(f, 'import type { T } from "../eval/index.js";').length, 1);
  assert.deepEqual(violations(f, 'import { tidy } from "../torch/index.js"; import { h } from "./heads.js";'), []);
  assert.deepEqual(violations(join(root, "src", "torch", "nn", "y.ts"), 'import { a } from "../../data/rng.js";'), [
    "src/torch/nn/y.ts imports src/data/rng.js (torch/ may not import data/)",
  ]);
});

// facelab/methods is the package entry point of src/methods/ (package.json "exports"): every file of
// the folder is public, so each must be re-exported by index.ts — a method file added without its
// export line (issue #12 found byol, trainer and registry missing) fails here, not in a user's import.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import * as methods from "../../src/methods/index.js";

const dir = join(import.meta.dirname, "..", "..", "src", "methods");
const files = (d: string): string[] =>
  readdirSync(d).flatMap((e) => {
    const p = join(d, e);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith(".ts") ? [relative(dir, p)] : [];
  });

test("index.ts re-exports every file of src/methods", () => {
  const index = readFileSync(join(dir, "index.ts"), "utf8");
  const reexported = [...index.matchAll(/^export \* from "\.\/(.+)\.js";$/gm)].map((m) => `${m[1]}.ts`);
  const expected = files(dir).filter((f) => f !== "index.ts");
  assert.deepEqual(reexported.sort(), expected.sort());
});

test("the trainer, BYOL, SimCLR and the method registry are reachable by the entry point", () => {
  for (const name of [
    "Trainer",
    "lrAt",
    "byolModel",
    "emaUpdate",
    "simclrModel",
    "createPretrainModel",
    "PRETRAIN_METHODS",
  ])
    assert.ok(name in methods, `facelab/methods does not export ${name}`);
  assert.deepEqual(Object.keys(methods.PRETRAIN_METHODS).sort(), ["byol", "simclr"]);
});

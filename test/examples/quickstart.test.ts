// examples/quickstart uses facelab as an installed dependency would: from a folder outside the
// repository, through node_modules/facelab (the link `npm install file:../..` makes), importing only
// the package's entry points. The library is built first (`npm run build:lib`: dist/ JS + .d.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
let dir = "";

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1", ...env } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("examples/quickstart as an installed dependency", () => {
  before(() => {
    const build = run(bin("tsc"), ["-p", "tsconfig.build.json"], root);
    assert.equal(build.code, 0, `npm run build:lib failed:\n${build.out}`);
    dir = mkdtempSync(join(tmpdir(), "facelab-consumer-"));
    cpSync(join(root, "examples", "quickstart"), dir, { recursive: true });
    mkdirSync(join(dir, "node_modules", "@types"), { recursive: true });
    symlinkSync(root, join(dir, "node_modules", "facelab"), "dir");
    symlinkSync(join(root, "node_modules", "@types", "node"), join(dir, "node_modules", "@types", "node"), "dir");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("train.mjs trains a few steps by package name and the loss falls", () => {
    const r = run(process.execPath, ["train.mjs"], dir, { STEPS: "4" });
    assert.equal(r.code, 0, r.out);
    const losses = /loss (.*)/.exec(r.out)?.[1]?.split(" → ").map(Number) ?? [];
    assert.equal(losses.length, 4, r.out);
    assert.ok((losses.at(-1) as number) < (losses[0] as number), r.out);
  });

  test("every entry point loads as plain JavaScript; internal modules are not exported", () => {
    const entries = [
      "facelab",
      "facelab/torch",
      "facelab/models",
      "facelab/losses",
      "facelab/data",
      "facelab/methods",
      "facelab/eval",
    ];
    const script = `for (const e of ${JSON.stringify(entries)}) { const m = await import(e); if (Object.keys(m).length === 0) throw new Error(e + " is empty"); }
try { await import("facelab/src/torch/native.js"); console.log("internal import worked"); } catch (e) { console.log(e.code); }`;
    const r = run(process.execPath, ["--input-type=module", "-e", script], dir);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  test("types.ts type-checks against the published .d.ts (typed results, typed arguments, no internals)", () => {
    const r = run(bin("tsc"), ["-p", "."], dir);
    assert.equal(r.code, 0, r.out);
  });
});

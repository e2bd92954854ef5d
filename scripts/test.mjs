#!/usr/bin/env node
// Runs the test suite on Node's test runner: every test/**/*.test.ts, or those under the given paths.
// Files run one at a time (LibTorch already uses every core inside one process).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const e of readdirSync(path).sort()) collect(join(path, e), out);
  } else if (path.endsWith(".test.ts")) out.push(path);
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const files = (roots.length ? roots : ["test"]).flatMap((r) => collect(r, [])).map((f) => relative(".", f));
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...flags, ...files],
  { stdio: "inherit", env: { ...process.env, FACELAB_QUIET: process.env.FACELAB_QUIET ?? "1" } },
);
process.exit(res.status ?? 1);

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";

const dir = mkdtempSync(join(tmpdir(), "facelab-serve-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `facelab serve <args>` (the command module alone, in its own process). */
function serve(args: string[]): { out: Promise<string>; exit: Promise<number | null>; kill: () => void } {
  // Inline ESM resolves packages from the working directory (the repository), unlike a file in /tmp.
  const code = `import { Command } from "commander";
import { register } from ${JSON.stringify(resolve("src/cli/commands/serve.ts"))};
const p = new Command("facelab"); register(p);
try { await p.parseAsync(process.argv); } catch (e) { console.error("facelab: " + e.message); process.exitCode = 1; }`;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", code, "facelab", "serve", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let text = "";
  const out = new Promise<string>((ok) => {
    const on = (d: Buffer): void => {
      text += d;
      if (/on http|facelab:/.test(text)) ok(text);
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
  });
  const exit = new Promise<number | null>((ok) => child.on("exit", (c) => ok(c)));
  return { out, exit, kill: () => child.kill("SIGINT") };
}

test("facelab serve binds 127.0.0.1, answers, and stops cleanly on Ctrl-C", async () => {
  const s = serve(["--runs", dir, "--port", "0"]);
  const line = await s.out;
  const m = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
  assert.ok(m, line);
  const res = await fetch(`${m[1]}api/runs`);
  assert.deepEqual(await res.json(), []);
  s.kill();
  assert.equal(await s.exit, 0);
});

test("facelab serve rejects a bad port and a missing runs directory", async () => {
  const a = serve(["--runs", dir, "--port", "http"]);
  assert.match(await a.out, /--port must be an integer/);
  assert.equal(await a.exit, 1);
  const b = serve(["--runs", join(dir, "missing"), "--port", "0"]);
  assert.match(await b.out, /runs directory not found/);
  assert.equal(await b.exit, 1);
});

// The counts of #14 (loaded, skipped_invalid, refused, ignored) where a user sees them: on the
// ImageSet, in `facelab data stats` output and in env.json; and no partial cache after a signal.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { readImageFolder } from "../../src/data/folder.js";
import { dataCounts } from "../../src/data/options.js";
import { collectEnv } from "../../src/runs/env.js";

const root = mkdtempSync(join(tmpdir(), "facelab-counts-"));
after(() => rmSync(root, { recursive: true, force: true }));
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** 3 good images, 1 corrupt, 1 link out of the folder, 1 FIFO, 2 dot-files. */
async function mixedFolder(): Promise<string> {
  const d = join(root, "mixed");
  mkdirSync(d);
  const png = await sharp({ create: { width: 6, height: 6, channels: 3, background: "#808080" } })
    .png()
    .toBuffer();
  for (const n of ["a", "b", "c"]) writeFileSync(join(d, `${n}.png`), png);
  writeFileSync(join(d, "bad.png"), "nope");
  writeFileSync(join(root, "secret.png"), png);
  symlinkSync(join(root, "secret.png"), join(d, "out.png"));
  execFileSync("mkfifo", [join(d, "pipe.png")]);
  writeFileSync(join(d, ".DS_Store"), "x");
  writeFileSync(join(d, "._a.png"), "x");
  return d;
}

test("lenient counts on the set, in env.json and in `facelab data stats`", async () => {
  const d = await mixedFolder();
  const cacheDir = join(root, "cache");
  const set = await readImageFolder(d, { side: 4, cacheDir, strict: false, name: "mixed" });
  const want = { loaded: 3, skipped_invalid: 1, refused: 2, ignored: 2, warnings: 0 };
  assert.deepEqual(dataCounts(set), want);
  assert.deepEqual((await collectEnv()).data?.mixed, want);
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", MAIN, "data", "stats", "folder", d, "--lenient", "--side", "4", "--cache", cacheDir],
    { encoding: "utf8", env: { ...process.env, FACELAB_QUIET: "1" } },
  );
  assert.match(out, /counts: loaded=3 skipped_invalid=1 refused=2 ignored=2/);
  assert.match(out, /refused: .*out\.png: symlink to .*secret\.png, outside the dataset folder/);
  assert.match(out, /refused: .*pipe\.png: a FIFO/);
  // strict: the first refusal is the error, and no cache is made
  const strictCache = join(root, "strict-cache");
  assert.throws(
    () =>
      execFileSync(
        process.execPath,
        ["--import", "tsx", MAIN, "data", "prepare", "folder", d, "--strict", "--cache", strictCache],
        {
          encoding: "utf8",
          stdio: "pipe",
        },
      ),
    (e: Error & { stderr: string }) => /out\.png: symlink to/.test(e.stderr),
  );
  assert.equal(existsSync(strictCache), false, "no cache folder after a failed strict read");
});

test("SIGTERM during a cache build removes the temp folder and the cache root it created", async () => {
  const d = join(root, "many");
  mkdirSync(d);
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#306090" } })
    .png()
    .toBuffer();
  for (let i = 0; i < 3000; i++) writeFileSync(join(d, `${String(i).padStart(5, "0")}.png`), png);
  // The signal races the build: if it lands after the cache was published (the handlers are gone by then,
  // so the default action kills the process and the finished cache stays, as it should), that attempt
  // says nothing about cleanup and is repeated, at most 3 times. A leftover .tmp folder or an empty
  // root fails at once.
  for (let attempt = 0; ; attempt++) {
    const cacheDir = join(root, `sig-cache-${attempt}`);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", MAIN, "data", "prepare", "folder", d, "--side", "32", "--parallel", "1", "--cache", cacheDir],
      { stdio: "ignore", env: { ...process.env, FACELAB_QUIET: "1" } },
    );
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on("exit", (_c, sig) => res(sig)));
    // Poll (every 5 ms; nothing asserts on time) until the build's temp folder exists, then signal.
    let sawTmp = false;
    while (child.exitCode === null && !sawTmp) {
      sawTmp = existsSync(cacheDir) && readdirSync(cacheDir).some((f) => /\.tmp-\d+$/.test(f));
      if (!sawTmp) await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(sawTmp, "the build finished before its temp folder was seen; add images");
    child.kill("SIGTERM");
    const sig = await exited;
    const left = existsSync(cacheDir) ? readdirSync(cacheDir) : [];
    const published =
      left.length === 1 && !/\.tmp-\d+$/.test(left[0]!) && existsSync(join(cacheDir, left[0]!, "index.json"));
    if (published && attempt < 2) continue;
    const state = `exit signal ${sig}, left in the cache root: ${left.join(", ") || (existsSync(cacheDir) ? "nothing (empty root)" : "no root")}`;
    assert.equal(sig, "SIGTERM", `the process still dies of the signal (${state})`);
    assert.equal(existsSync(cacheDir), false, `temp folder and the cache root it created are gone (${state})`);
    break;
  }
});

// `facelab data synth|preview|stats` end to end in a child process (small sizes).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";

const run = (args: string[]) =>
  spawnSync(process.execPath, ["bin/facelab.js", "data", ...args], {
    encoding: "utf8",
    env: { ...process.env, FACELAB_THREADS: "1", FACELAB_QUIET: "1" },
  });

test("data synth renders and caches; preview writes a grid of originals + views; stats counts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "facelab-cli-data-"));
  const common = ["--identities", "4", "--per-identity", "3", "--side", "24", "--cache", join(dir, "cache")];
  const s = run(["synth", ...common, "--gender-p", "0.25"]);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /synth: 12 images of 24×24×3/);
  assert.match(s.stdout, /gender: 0=9 {2}1=3/);
  const out = join(dir, "grid.png");
  const p = run([
    "preview",
    "synth",
    ...common,
    "--augment",
    "face",
    "-n",
    "5",
    "--views",
    "2",
    "--zoom",
    "1",
    "-o",
    out,
  ]);
  assert.equal(p.status, 0, p.stderr);
  const meta = await sharp(out).metadata();
  // 5 columns × (24 + 2 gap) + 2, 3 rows (originals + 2 views) × 26 + 2
  assert.deepEqual([meta.width, meta.height], [132, 80]);
  const bad = run(["preview", "synth", ...common, "--augment", "mixup"]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--augment must be simclr, simclr-large or face, got 'mixup'/);
  const st = run(["stats", "synth", ...common, "--fractions", "0.5,0.5", "--by", "gender"]);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /^total\t6\t6$/m);
});

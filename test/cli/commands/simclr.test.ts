// facelab simclr: the recipe lists (run --help, recipes, the unknown-recipe message) are read from
// configs/, so every simclr-*/byol-* recipe appears and none that is gone does.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";

const facelab = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/facelab.js", "simclr", ...args], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1", FACELAB_QUIET: "1" },
  });

const recipes = readdirSync("configs")
  .filter((f) => /^(simclr|byol)-.*\.yaml$/.test(f))
  .map((f) => f.replace(/\.yaml$/, ""))
  .sort();

describe("facelab simclr recipe lists", () => {
  it("the folder has the SimCLR and BYOL recipes", () => {
    assert.ok(recipes.includes("byol-fmnist") && recipes.includes("simclr-fmnist"), `${recipes}`);
  });

  it("`simclr recipes` prints exactly the folder's recipes", () => {
    const r = facelab("recipes");
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), recipes);
  });

  it("`simclr run --help` and an unknown recipe name every recipe", () => {
    const help = facelab("run", "--help");
    assert.equal(help.status, 0, help.stderr);
    const bad = facelab("run", "no-such-recipe");
    assert.notEqual(bad.status, 0);
    for (const text of [help.stdout, bad.stderr].map((t) => t.replace(/\s+/g, " ")))
      for (const name of recipes) assert.ok(text.includes(name), `${name} in: ${text}`);
  });
});

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../../src/runs/index.js";
import { biasConfigSchema, cells, parseBiasConfig } from "../../../src/studies/bias/config.js";
import { biasDemoConfig } from "../../../src/studies/bias/demo.js";
import { trainConfigSchema } from "../../../src/studies/supervised/recipe.js";

const dir = join(import.meta.dirname, "../../../configs");

test("every bias-*.yaml recipe parses (losses included: unknown keys would be errors) and expands to cells", () => {
  const files = readdirSync(dir).filter((f) => /^bias-.*\.yaml$/.test(f));
  assert.ok(files.length >= 3, files.join(", "));
  for (const f of files) {
    const cfg = parseBiasConfig(loadConfig(biasConfigSchema, { file: join(dir, f) }));
    const grid = cells(cfg);
    assert.ok(grid.length > 0, f);
  }
  const gender = parseBiasConfig(loadConfig(biasConfigSchema, { file: join(dir, "bias-gender.yaml") }));
  assert.equal(cells(gender).length, 5 * 5 * 3, "5 splits × 5 losses × 3 seeds");
  // --set reaches nested keys, e.g. pointing the recipe at UTKFace
  const utk = loadConfig(biasConfigSchema, {
    file: join(dir, "bias-gender.yaml"),
    sets: ["data.utkfaceDir=/data/UTKFace"],
  });
  assert.equal(utk.data.utkfaceDir, "/data/UTKFace");
});

test("every train-*.yaml recipe parses; the CIFAR ones carry the seed's bars", () => {
  const files = readdirSync(dir).filter((f) => /^train-.*\.yaml$/.test(f));
  const bars: Record<string, number> = {};
  for (const f of files) {
    const cfg = loadConfig(trainConfigSchema, { file: join(dir, f) });
    if (cfg.expect) bars[f] = cfg.expect.minAccuracy;
  }
  assert.equal(bars["train-cifar10-ring.yaml"], 0.794);
  assert.equal(bars["train-cifar10-asoftmax.yaml"], 0.724);
});

test("the demo study is small: 45 cells on the small CNN", () => {
  const cfg = biasDemoConfig();
  assert.equal(cells(cfg).length, 45);
  assert.equal(cfg.model.backbone, "convnet");
});

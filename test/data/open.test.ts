import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { datasetStats, openDataset } from "../../src/data/open.js";

test("openDataset: names, required folders, and stats per attribute", async () => {
  await assert.rejects(openDataset("imagenet"), /unknown dataset 'imagenet'; expected one of fashion-mnist, cifar10/);
  await assert.rejects(openDataset("utkface"), /needs a folder/);
  await assert.rejects(openDataset("pool"), /at least one of the utkface, ffhq and celeba folders/);
  const set = await openDataset("synth", {
    side: 16,
    seed: 2,
    cacheDir: mkdtempSync(join(tmpdir(), "facelab-open-")),
    synth: { identities: 10, imagesPerIdentity: 3, groupProbs: [6, 1, 1, 1, 1] },
  });
  const stats = datasetStats(set);
  assert.deepEqual(stats.group, { 0: 18, 1: 3, 2: 3, 3: 3, 4: 3 });
  assert.deepEqual(stats.gender, { 0: 15, 1: 15 });
  assert.deepEqual(stats.identities, { count: 10 });
  assert.equal(stats.dataset?.synth, 30);
});

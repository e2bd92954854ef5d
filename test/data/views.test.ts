// The imbalance study's views regenerate from their seeds: originals through the eval transform,
// copies exactly as the face augmentation makes them for that seed, whatever the batch.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { augment, evalTransform, faceStudy, toFloatImages } from "../../src/data/augment/index.js";
import { MemoryImageSet } from "../../src/data/imageset.js";
import { buildImbalanceSplit, writeManifest } from "../../src/data/imbalance.js";
import { renderViews } from "../../src/data/views.js";
import { fromTypedArray, liveTensors, tidy } from "../../src/torch/index.js";

const N = 40;
const px = new Uint8Array(N * 12 * 12 * 3).map((_, i) => (i * 37) % 251);
const items = Array.from({ length: N }, (_, i) => ({ dataset: "t", source: `#${i}`, attrs: { gender: i % 2 } }));
const set = new MemoryImageSet("t", px, 12, 12, 3, items);

test("renderViews: originals are the eval transform, copies the seeded face augmentation", async () => {
  const split = buildImbalanceSplit(set, {
    attribute: "gender",
    proportions: { 0: 0.5, 1: 0.5 },
    identities: 10,
    unseen: 4,
    copies: 3,
    seed: 9,
  });
  const cfg = faceStudy(10);
  const start = liveTensors();
  await tidy(async () => {
    const views = await renderViews(set, split.test, cfg);
    assert.deepEqual(views.shape, [20, 3, 10, 10]);
    for (const k of [0, 1, 6, 7]) {
      const e = split.test[k] as (typeof split.test)[number];
      const x = toFloatImages(fromTypedArray(await set.read([e.item]), [1, 12, 12, 3]));
      const want = e.augSeed === null ? evalTransform(x, { size: 10 }) : augment(x, cfg, { seeds: [e.augSeed] });
      assert.ok(views.narrow(0, k, 1).sub(want).abs().max().item() < 1e-6, `view ${k}`);
    }
    const again = await renderViews(set, split.train.slice(5, 8), cfg);
    const all = await renderViews(set, split.train, cfg);
    assert.ok(
      again
        .sub(all.narrow(0, 5, 3))
        .abs()
        .max()
        .item() < 1e-6,
      "a copy does not depend on its batch",
    );
  });
  assert.equal(liveTensors(), start);
  const path = join(mkdtempSync(join(tmpdir(), "facelab-manifest-")), "manifest.json");
  writeManifest(path, split);
  const m = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(m.people.length, 10);
  assert.equal(m.unseenPeople.length, 4);
  assert.deepEqual(m.groups["gender=0"], { identities: 5, unseen: 2, available: 20 });
});

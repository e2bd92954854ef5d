import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import sharp from "sharp";
import { parseBiasConfig } from "../../../src/studies/bias/config.js";
import { runBiasStudy } from "../../../src/studies/bias/grid.js";

const root = mkdtempSync(join(tmpdir(), "facelab-bias-utk-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A UTKFace-style folder: `age_gender_race_date.jpg.chip.jpg`, plus one malformed name to skip. */
async function fakeUtk(dir: string, perGender: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 2 * perGender; i++) {
    const gender = i % 2;
    const px = Buffer.alloc(20 * 20 * 3, (i * 37 + gender * 90) % 256);
    for (let k = 0; k < px.length; k += 7) px[k] = (k * (i + 3)) % 256; // per-image texture
    await sharp(px, { raw: { width: 20, height: 20, channels: 3 } })
      .jpeg()
      .toFile(join(dir, `${20 + (i % 30)}_${gender}_${i % 4}_2017011617452${String(i).padStart(4, "0")}.jpg.chip.jpg`));
  }
  await sharp(Buffer.alloc(20 * 20 * 3, 9), { raw: { width: 20, height: 20, channels: 3 } })
    .jpeg()
    .toFile(join(dir, "39_1_20170116174525125.jpg.chip.jpg")); // race missing (reference §4.2)
}

/**
 * A one-cell gender study (female 30% of training identities, 10 unseen people, one softmax epoch at
 * 16 px) on the data `data` names; rendered or decoded images are cached under the test's folder.
 */
function genderStudy(name: string, data: Record<string, unknown>) {
  process.env.FACELAB_CACHE = join(root, "cache");
  return parseBiasConfig({
    name,
    data: { attribute: "gender", groups: ["male", "female"], imageSize: 16, copies: 2, unseen: 10, ...data },
    splits: { focus: "female", levels: [0.3] },
    losses: ["softmax"],
    model: { backbone: "convnet", width: 4, embeddingDim: 8 },
    train: { epochs: 1, batchSize: 8 },
    eval: { bootstrap: 50 },
  });
}

test("UTKFace when given: gender groups from the file names, augmented copies as unseen mates", async () => {
  const utk = join(root, "UTKFace");
  await fakeUtk(utk, 30);
  const cfg = genderStudy("utk", { utkfaceDir: utk, identities: 20 });
  const dir = join(root, "study");
  const res = await runBiasStudy(cfg, { dir, log: () => {} });
  assert.deepEqual(res.failed, []);
  const rec = res.records[0];
  assert.equal(rec?.data.source, "utkface");
  assert.deepEqual(rec?.data.trainPerGroup, { male: 14, female: 6 });
  assert.deepEqual(rec?.data.unseenPerGroup, { male: 5, female: 5 });
  assert.equal(rec?.data.unseenMate, "augmented copy");
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
  assert.equal(summary.data.source, "utkface");
});

test("synthetic faces through src/data/synth: gender groups, second photos as unseen mates", async () => {
  const cfg = genderStudy("svg", { identities: 10 });
  const res = await runBiasStudy(cfg, { dir: join(root, "svg-study"), log: () => {} });
  assert.deepEqual(res.failed, []);
  assert.deepEqual(res.records[0]?.data.trainPerGroup, { male: 7, female: 3 });
  assert.equal(res.records[0]?.data.unseenMate, "second photo");
  // The renderer plants effects on its 5-level skin-tone group only, and says so.
  const planted = { ...cfg, name: "svg-planted", data: { ...cfg.data, planted: { group: "female", strength: 0.5 } } };
  const bad = await runBiasStudy(planted, { dir: join(root, "svg-planted"), log: () => {} });
  assert.match(bad.failed[0]?.error as string, /data.planted needs a data.attribute other than "gender"/);
});

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import { renderUtkLikeFaces } from "../../../src/data/synth.js";
import { SimclrConfigSchema } from "../../../src/methods/simclr-config.js";
import { loadConfig } from "../../../src/runs/index.js";
import { runSimclrStudy } from "../../../src/studies/simclr/study.js";
import { liveTensors } from "../../../src/torch/index.js";

/** Writes generated faces as UTKFace-named JPEGs (age_gender_race_date.jpg) and unlabeled FFHQ PNGs. */
async function fakeFolders(root: string): Promise<{ utk: string; ffhq: string }> {
  const utk = join(root, "UTKFace");
  const ffhq = join(root, "ffhq");
  mkdirSync(utk);
  mkdirSync(ffhq);
  const g = await renderUtkLikeFaces(110, 24, 5, null);
  const px = await g.set.read(Array.from({ length: 110 }, (_, i) => i)); // NHWC
  const per = 24 * 24 * 3;
  for (let i = 0; i < 110; i++) {
    const img = sharp(Buffer.from(px.subarray(i * per, (i + 1) * per)), {
      raw: { width: 24, height: 24, channels: 3 },
    });
    const a = g.attrs[i]!;
    if (i < 80)
      await img.jpeg().toFile(join(utk, `${20 + (i % 50)}_${a.gender}_${a.race}_2017010${i % 9}1234567${i % 10}.jpg`));
    else await img.png().toFile(join(ffhq, `${String(i).padStart(5, "0")}.png`));
  }
  return { utk, ffhq };
}

test("the faces recipe reads UTKFace + FFHQ folders: pool from both, gender/race split 30/70, stratified", async () => {
  const start = liveTensors();
  const root = mkdtempSync(join(tmpdir(), "simclr-faces-"));
  try {
    const { utk, ffhq } = await fakeFolders(root);
    const cfg = loadConfig(SimclrConfigSchema, {
      file: "configs/simclr-faces.yaml",
      sets: [
        `data.utkface=${utk}`,
        `data.ffhq=${ffhq}`,
        "data.imageSize=16",
        "model.arch=resnet18",
        "model.width=8",
        "model.cifarStem=true",
        "pretrain.epochs=1",
        "pretrain.batchSize=32",
        "pretrain.evalAt=[]",
        "pretrain.monitor.bankSize=20",
        "pretrain.monitor.querySize=20",
        "evaluate.linearProbe.epochs=2",
        "evaluate.finetune.epochs=1",
        "evaluate.scratch.epochs=1",
      ],
    });
    process.env.FACELAB_CACHE = join(root, "cache");
    const r = await runSimclrStudy(cfg, { runsRoot: join(root, "runs"), naming: "plain", log: () => {} });
    const summary = JSON.parse(readFileSync(join(r.dir, "summary.json"), "utf8"));
    assert.deepEqual(summary.poolSources, { utkface: 80, ffhq: 30 });
    for (const task of ["gender", "race"]) {
      const row = r.rows.find((x) => x.task === task && x.method === "fine-tune")!;
      // 30% of the 80 labelled faces fine-tune, the other 70% validate (stratified rounding per class).
      assert.ok(row.labelled >= 22 && row.labelled <= 26, `${task}: ${row.labelled} fine-tuning faces`);
      const validated = row.confusion.flat().reduce((a, b) => a + b, 0);
      assert.equal(row.labelled + validated, 80);
    }
    const charts = JSON.parse(readFileSync(join(r.dir, "report.json"), "utf8")) as { kind: string; title: string }[];
    assert.ok(charts.some((c) => c.kind === "distribution" && c.title.includes("race")));
    assert.ok(charts.some((c) => c.kind === "confusion" && c.title.startsWith("gender")));
  } finally {
    delete process.env.FACELAB_CACHE;
    rmSync(root, { recursive: true, force: true });
  }
  assert.equal(liveTensors(), start);
});

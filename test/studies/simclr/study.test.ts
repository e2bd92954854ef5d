import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SimclrConfigSchema } from "../../../src/methods/simclr-config.js";
import { loadConfig } from "../../../src/runs/index.js";
import { runSimclrStudy } from "../../../src/studies/simclr/study.js";
import { liveTensors } from "../../../src/torch/index.js";

const tiny = [
  "data.syntheticCount=240",
  "data.imageSize=16",
  "model.width=8",
  "head.out=16",
  "pretrain.epochs=3",
  "pretrain.batchSize=48",
  "pretrain.warmupEpochs=1",
  "pretrain.checkpointEvery=2",
  "pretrain.evalAt=[2]",
  "pretrain.monitor.bankSize=60",
  "pretrain.monitor.querySize=60",
  "evaluate.linearProbe.epochs=3",
  "evaluate.finetune.epochs=2",
  "evaluate.scratch.epochs=2",
  "evaluate.finetune.guards=false",
  "evaluate.scratch.guards=false",
  "evaluate.finetune.minSteps=0",
  "evaluate.scratch.minSteps=0",
];

test("every SimCLR recipe in configs/ parses with the schema", () => {
  const files = readdirSync("configs").filter((f) => f.startsWith("simclr-") && f.endsWith(".yaml"));
  assert.ok(files.length >= 4, `recipes: ${files}`);
  for (const f of files) {
    const cfg = loadConfig(SimclrConfigSchema, { file: join("configs", f) });
    assert.equal(`${cfg.name}.yaml`, f);
  }
});

test("a synthetic-faces study writes summary, metrics, charts and checkpoints; a checkpoint can be fine-tuned", async () => {
  const start = liveTensors();
  const root = mkdtempSync(join(tmpdir(), "simclr-study-"));
  try {
    const cfg = loadConfig(SimclrConfigSchema, { file: "configs/simclr-faces-synthetic.yaml", sets: tiny });
    const r = await runSimclrStudy(cfg, { runsRoot: root, naming: "plain", log: () => {} });
    const summary = JSON.parse(readFileSync(join(r.dir, "summary.json"), "utf8"));
    assert.equal(summary.seed, 0);
    assert.equal(summary.pretrain.epochs, 3);
    // Both tasks, four methods each, at the final encoder and at the halfway evaluation (epoch 2).
    const final = summary.results.filter((x: { pretrainEpoch: number; method: string }) => x.pretrainEpoch === 3);
    assert.deepEqual(new Set(final.map((x: { task: string }) => x.task)), new Set(["gender", "race"]));
    assert.ok(summary.results.some((x: { pretrainEpoch: number }) => x.pretrainEpoch === 2));
    for (const key of ["gender@100%", "race@100%"]) {
      const h = summary.headline[key];
      for (const m of ["linear-probe", "linear-probe-random-init", "fine-tune", "scratch"])
        assert.ok(h[m].accuracy >= 0 && h[m].accuracy <= 1, `${key} ${m}`);
      assert.equal(typeof h.fineTuneGain, "number");
    }
    const charts = JSON.parse(readFileSync(join(r.dir, "report.json"), "utf8")) as { kind: string; title: string }[];
    const kinds = new Set(charts.map((c) => c.kind));
    for (const k of ["lines", "accuracy", "confusion", "distribution", "group-bars", "table"])
      assert.ok(kinds.has(k), k);
    assert.ok(
      charts.some((c) => c.kind === "table" && c.title.startsWith("SimCLR gains")),
      "the paired-gains table",
    );
    const metrics = readFileSync(join(r.dir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(metrics.filter((m: { tag: string }) => m.tag === "pretrain/loss").length, 3);
    const ckpts = readdirSync(join(r.dir, "checkpoints")).filter((f) => /^step-\d+\.safetensors$/.test(f));
    assert.deepEqual(ckpts, ["step-00000002.safetensors", "step-00000003.safetensors"]);

    // Fine-tune from the intermediate checkpoint (the seed evaluated at epoch 50 of 100).
    const ft = await runSimclrStudy(
      { ...cfg, name: "from-ckpt" },
      { runsRoot: root, naming: "plain", log: () => {}, fromCheckpoint: join(r.dir, "checkpoints", ckpts[0]!) },
    );
    assert.equal(ft.history.length, 0);
    assert.ok(ft.rows.length > 0 && ft.rows.every((x) => x.pretrainEpoch === 2 || x.pretrainEpoch === 0));
    // Same encoder, same seeds: its linear probe equals the halfway evaluation of the first run.
    const half = r.rows.find((x) => x.pretrainEpoch === 2 && x.method === "linear-probe" && x.task === "gender")!;
    const again = ft.rows.find((x) => x.method === "linear-probe" && x.task === "gender")!;
    assert.equal(again.accuracy, half.accuracy);
    assert.ok(existsSync(join(ft.dir, "summary.json")));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.equal(liveTensors(), start);
});

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseLossConfig } from "../../../src/losses/index.js";
import { parseDescriptor } from "../../../src/report/descriptors.js";
import { runCell } from "../../../src/studies/bias/cell.js";
import { parseBiasConfig } from "../../../src/studies/bias/config.js";
import { plantedPairData } from "../../../src/studies/bias/demo.js";
import { runBiasStudy } from "../../../src/studies/bias/grid.js";
import { parseResultsCsv } from "../../../src/studies/bias/results.js";
import { liveTensors } from "../../../src/torch/index.js";

const root = mkdtempSync(join(tmpdir(), "facelab-bias-"));
after(() => rmSync(root, { recursive: true, force: true }));
const quiet = () => {};

/** Small enough for CI (≈1 s a cell on one core), large enough for 40 test images per group. */
const small = (over: Record<string, unknown> = {}) =>
  parseBiasConfig({
    name: "t",
    data: { attribute: "group", groups: ["a", "b"], imageSize: 24, identities: 40, copies: 8, unseen: 40 },
    splits: [{ proportions: { a: 0.5, b: 0.5 } }],
    losses: ["softmax"],
    seeds: [0],
    model: { backbone: "convnet", width: 8, embeddingDim: 32 },
    train: { epochs: 6, batchSize: 32, lr: 0.05, warmupEpochs: 1 },
    eval: { bootstrap: 400, minGroupSamples: 20 },
    ...over,
  });

type Summary = {
  gaps: { metric: string; estimate: number; ci: [number, number]; excludesZero: boolean }[];
  claims: string[];
};
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Summary;

// Synthetic faces from src/data/synth.ts in the bias study's look; at this budget seeds 0–4 measured planted
// gaps of −0.225 [−0.45, −0.05], −0.35, −0.525, −0.275, −0.175 [−0.40, 0.05] and seed 0 a null gap of +0.175
// [−0.10, 0.38] (config.ts, data.variation). One seed is too close to call: on LibTorch 2.13 seed 0 gave
// −0.15 [−0.375, 0.025]. So the planted check pools three seeds (the gap's CI resamples test images and seeds),
// as a study should before it claims an effect.
test("planted effect (group b's people look alike): over three seeds the study finds b less accurate, CI excluding zero", async () => {
  const start = liveTensors();
  const cfg = small({
    data: plantedPairData(["a", "b"], 0.8, { imageSize: 24, identities: 40, copies: 8, unseen: 40 }),
    seeds: [0, 1, 2],
  });
  const dir = join(root, "planted");
  const res = await runBiasStudy({ ...cfg, splits: { focus: "b", levels: [0.5] } }, { dir, log: quiet });
  assert.deepEqual(res.failed, []);
  const acc = summaryOf(dir).gaps.find((g) => g.metric === "accuracy");
  assert.ok(acc, "an accuracy gap is reported");
  assert.ok(acc.excludesZero && acc.ci[1] < 0, `accuracy gap b−a ${acc.estimate} CI ${acc.ci}`);
  assert.equal(liveTensors(), start);
});

test("no effect planted: the accuracy gap's CI includes zero and the claim says so", async () => {
  const dir = join(root, "null");
  const cfg = small();
  await runBiasStudy({ ...cfg, splits: { focus: "b", levels: [0.5] } }, { dir, log: quiet });
  const s = summaryOf(dir);
  const acc = s.gaps.find((g) => g.metric === "accuracy");
  assert.ok(acc && !acc.excludesZero, `accuracy gap ${acc?.estimate} CI ${acc?.ci}`);
  assert.ok(s.claims.some((c) => /accuracy of "b" minus the other groups .* no evidence of a difference/.test(c)));
});

test("a small grid writes every output, resumes without rerunning, and records a failed cell", async () => {
  const dir = join(root, "grid");
  const cfg = small({
    splits: { focus: "b", levels: [0.25, 0.5] },
    losses: ["softmax", { name: "cosface", scale: 16 }],
    seeds: [0, 1],
  });
  const first = await runBiasStudy(cfg, { dir, log: quiet, maxNewCells: 5 });
  assert.equal(first.ran.length, 5);
  assert.equal(first.pending.length, 3);
  const st = JSON.parse(readFileSync(join(dir, "status.json"), "utf8"));
  assert.deepEqual([st.kind, st.state, st.incomplete, st.pending], ["study", "finished", true, 3]);
  const second = await runBiasStudy(cfg, { dir, log: quiet });
  assert.equal(second.reused.length, 5, "finished cells are read back, not retrained");
  assert.equal(second.ran.length, 3);
  for (const f of ["config.yaml", "status.json", "results.csv", "summary.json", "report.json"])
    assert.ok(existsSync(join(dir, f)), f);
  for (const r of second.records) {
    assert.ok(existsSync(join(dir, "done", `${r.id}.json`)), `done marker of ${r.id}`);
    assert.ok(existsSync(join(dir, r.runDir, "metrics.jsonl")), `training log of ${r.id}`);
  }
  const rows = parseResultsCsv(readFileSync(join(dir, "results.csv"), "utf8"));
  assert.equal(new Set(rows.map((r) => r.cell)).size, 8);
  for (const metric of ["accuracy", "confidence_unseen", "identified_rate", "ece", "fnmr", "fmr", "tar_at_far", "fnir"])
    assert.ok(
      rows.some((r) => r.metric === metric && r.group === "b" && r.ci_low !== ""),
      `${metric} per group with CI`,
    );
  const summary = summaryOf(dir) as Summary & { trends: unknown[]; acrossSeeds: { seeds: number }[] };
  assert.ok(summary.trends.length > 0, "a trend claim per loss and metric across the two levels");
  assert.ok(summary.acrossSeeds.some((x) => x.seeds === 2));
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as unknown[];
  for (const [i, d] of report.entries()) parseDescriptor(d, i); // every chart satisfies the report contract
  const kinds = new Set(report.map((d) => (d as { kind: string }).kind));
  for (const k of [
    "group-bars",
    "confidence-hist",
    "identified-rate",
    "roc",
    "det",
    "reliability",
    "gap-imbalance",
    "loss",
  ])
    assert.ok(kinds.has(k), `report has a ${k} chart`);
  // Claims and the metric frame are the findings page's (src/report/findings/bias.ts), from the summary.
  const full = summaryOf(dir) as Summary & {
    kind: string;
    trends: { family: string }[];
    frame: { split: string; loss: string; groups: Record<string, unknown> }[];
  };
  assert.equal(full.kind, "bias-study");
  assert.ok(
    full.trends.some((t) => t.family === "primary"),
    "the accuracy trend per loss is the primary family",
  );
  assert.equal(full.frame.length, 4, "metric frame: 2 splits × 2 losses");
  assert.deepEqual(Object.keys(full.frame[0]!.groups), ["a", "b"]);

  // A config change that affects cells means new cells, never stale ones.
  const changed = await runBiasStudy(
    { ...cfg, train: { ...cfg.train, epochs: 1 } },
    { dir, log: quiet, maxNewCells: 1 },
  );
  assert.equal(changed.reused.length, 0);
  // A cell that throws (e.g. a diverged loss) is recorded as failed with its reason; the rest finishes.
  const bad = await runBiasStudy(
    { ...cfg, seeds: [0], losses: [parseLossConfig("softmax")] },
    {
      dir: join(root, "bad"),
      log: quiet,
      runCell: async (cell, c, ctx) => {
        if (cell.split.level === 0.25) throw new Error("training diverged: the softmax loss is NaN");
        return runCell(cell, c, ctx);
      },
    },
  );
  assert.equal(bad.failed.length, 1);
  assert.equal(bad.records.length, 1);
  assert.match(bad.failed[0]?.error as string, /diverged/);
  assert.ok(existsSync(join(root, "bad", `failed-${bad.failed[0]?.id}.txt`)));
  assert.equal(JSON.parse(readFileSync(join(root, "bad", "status.json"), "utf8")).incomplete, true);
});

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Command } from "commander";
import sharp from "sharp";
import { register } from "../../src/cli/commands/report.js";
import { confusionMatrix, metricCharts, parseDescriptor, specToSvg, writeReport } from "../../src/report/index.js";
import type { Run } from "../../src/runs/run.js";
import { makeStudy } from "./fixture.js";

const root = mkdtempSync(join(tmpdir(), "facelab-report-"));
after(() => rmSync(root, { recursive: true, force: true }));
let study: Run;
let child: Run;
before(async () => {
  ({ study, child } = await makeStudy(root));
});

/** The visible text of an SVG (vega writes every label as a <text> element). */
const texts = (svg: string): string[] =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, "&"));

test("a study report has every chart, the summary tables, config and no external references", async () => {
  const r = await writeReport(study.dir);
  assert.deepEqual(r.problems, []);
  const html = readFileSync(r.html, "utf8");
  // 3 metric charts + 10 report.json charts in the child, 1 in the study; images and tables are HTML.
  assert.equal((html.match(/<svg /g) ?? []).length, 14);
  assert.equal(r.files.length, 28);
  // (includes rather than match: a failing match would print the whole 300 kB page)
  assert.ok(html.includes('<img alt="Augmentation grid" src="data:image/png;base64,iVBOR'), "image embedded");
  // A run without findings.json: its summary as tables with words for keys, never dotted paths.
  assert.ok(html.includes('<th scope="row">accuracy</th><td class="num" data-v="0.8512">0.851</td>'), "summary table");
  assert.ok(!html.includes("test.accuracy"), "no flattened key paths");
  assert.ok(html.includes("<th>run</th><th>state</th><th>ece</th>"), "study's runs table");
  assert.ok(
    /<details class="config"><summary>Config \(YAML\)<\/summary><pre>[^<]*momentum: 0.9/.test(html),
    "config folded",
  );
  assert.ok(!/<script src|<link|src="http|href="http/.test(html), "self-contained");
  const png = join(study.dir, "report", "simclr-finetune-race-confusion-test.png");
  const meta = await sharp(png).metadata();
  assert.ok(meta.width! > 500 && meta.height! > 400, `PNG is ${meta.width}×${meta.height}`);
});

test("charts carry their titles, axis titles with units and data labels", async () => {
  await writeReport(study.dir, { png: false });
  const svg = (name: string): string[] =>
    texts(readFileSync(join(study.dir, "report", `simclr-finetune-${name}.svg`), "utf8"));
  const loss = svg("loss");
  for (const t of ["Training loss", "step (batches)", "loss (nats per example)", "pretrain/loss", "finetune/loss"])
    assert.ok(loss.includes(t), t);
  const conf = svg("gender-confusion-test");
  for (const t of [
    "Gender confusion (test)",
    "predicted class",
    "true class",
    "male",
    "female",
    "410",
    "440",
    "90",
    "60",
  ]) {
    assert.ok(conf.includes(t), t);
  }
  const acc = svg("accuracy");
  assert.ok(acc.includes("epoch") && acc.includes("accuracy (%)") && acc.includes("90%"));
  const gb = svg("accuracy-per-race-95-ci");
  assert.ok(gb.includes("Accuracy per race (95% CI)") && gb.includes("group"));
  const order = gb.filter((t) => ["White", "Black", "Asian", "Indian", "Other"].includes(t));
  assert.deepEqual(order, ["White", "Black", "Asian", "Indian", "Other"], "groups keep the given order");
  assert.ok(svg("reliability-test").includes("expected calibration error (ECE) 4.20%"));
  assert.ok(svg("accuracy-gap-vs-imbalance").includes("8 pp"));
  assert.ok(svg("det-per-race").includes("false non-match rate (FNMR)"));
});

test("confusion matrix rejects a matrix that does not match its class names", () => {
  assert.throws(() => confusionMatrix(["a", "b"], [[1, 2]]), /must be 2×2/);
});

test("a malformed descriptor is reported with its index, kind, title and field; the rest still renders", async () => {
  assert.throws(
    () => parseDescriptor({ kind: "confusion", title: "Bad", data: { classes: ["a"], matrix: "x" } }, 4),
    /report\.json chart 4 \(kind "confusion", title "Bad"\): data\.matrix: /,
  );
  assert.throws(() => parseDescriptor({ kind: "pie", title: "P", data: [] }, 0), /chart 0 \(kind "pie"/);
  const list = JSON.parse(readFileSync(join(child.dir, "report.json"), "utf8"));
  writeFileSync(
    join(child.dir, "report.json"),
    JSON.stringify([...list, { kind: "roc", title: "Broken ROC", data: [{ fpr: "a" }] }]),
  );
  try {
    const r = await writeReport(child.dir, { png: false });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!, /chart 12 \(kind "roc", title "Broken ROC"\): data\.0\.fpr/);
    assert.ok(readFileSync(r.html, "utf8").includes('class="problem"'));
  } finally {
    writeFileSync(join(child.dir, "report.json"), JSON.stringify(list));
  }
});

test("accuracy without epochs is plotted against steps; other tags get their own chart", async () => {
  const items = metricCharts([
    { step: 10, tag: "val/acc", value: 0.5, time: 0 },
    { step: 20, tag: "val/acc", value: 0.6, time: 0 },
    { step: 10, tag: "temperature", value: 0.5, time: 0 },
    { step: 1, tag: "eval/gender/fine-tune/0.1/@2/val_top1", value: 0.5, time: 0 },
  ]);
  assert.deepEqual(
    items.map((i) => i.id),
    ["accuracy", "metric-temperature"],
  );
  const svg = texts(await specToSvg((items[0] as { spec: Record<string, unknown> }).spec));
  assert.ok(svg.includes("step (batches)"));
});

test("facelab report writes the page and says where", async () => {
  const program = new Command().exitOverride();
  register(program);
  const out = join(root, "out");
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    await program.parseAsync(["node", "facelab", "report", child.dir, "--out", out, "--no-png"]);
  } finally {
    console.log = orig;
  }
  assert.ok(existsSync(join(out, "report.html")));
  assert.ok(existsSync(join(out, "report", "loss.svg")));
  assert.ok(!existsSync(join(out, "report", "loss.png")));
  assert.match(logs[0]!, /report: .*out\/report\.html/);
  await assert.rejects(program.parseAsync(["node", "facelab", "report", join(root, "nope")]), /no such directory/);
  await assert.rejects(program.parseAsync(["node", "facelab", "report", root]), /not a run or study directory/);
});

test("chartPng renders a descriptor to PNG bytes for TensorBoard", async () => {
  const { chartPng } = await import("../../src/report/index.js");
  const png = await chartPng({
    kind: "confusion",
    title: "cm",
    data: {
      classes: ["a", "b"],
      matrix: [
        [3, 1],
        [0, 4],
      ],
    },
  });
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const meta = await sharp(png).metadata();
  assert.ok(meta.width! >= 300 && meta.height! >= 300, `${meta.width}×${meta.height}`);
  await assert.rejects(chartPng({ kind: "table", title: "t", data: { columns: [], rows: [] } }), /not a chart/);
});

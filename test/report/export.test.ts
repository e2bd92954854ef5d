// Golden Markdown and LaTeX exports of a fixed findings page, and the CLI's --format option.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Command } from "commander";
import { register } from "../../src/cli/commands/report.js";
import { formatNum, formatValue, pageLatex, pageMarkdown, parsePage, texEscape } from "../../src/report/index.js";
import { FIXED_PAGE } from "./page-fixture.js";

const golden = (name: string) => readFileSync(join(import.meta.dirname, "golden", name), "utf8");
const root = mkdtempSync(join(tmpdir(), "facelab-export-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("numbers: percent with one decimal, signed points, p-values, three significant digits", () => {
  assert.equal(formatValue(0.8512, "pct"), "85.1");
  assert.equal(formatValue(-0.0004, "pct"), "0.0");
  assert.equal(formatValue(0.054, "pp"), "+5.4");
  assert.equal(formatValue(-0.123, "pp"), "−12.3");
  assert.equal(formatValue(0.0004, "p"), "< 0.001");
  assert.equal(formatValue(0.01234, "p"), "0.0123");
  assert.equal(formatValue(1234.5, "num"), "1230");
  assert.equal(formatValue(0.000012345, "num"), "1.23e-5");
  assert.equal(formatValue(Number.NaN, "num"), "—");
  assert.equal(formatNum({ value: 0.054, unit: "pp", ci: [0.021, 0.087] }), "+5.4 [2.1, 8.7]");
  assert.equal(formatNum({ value: 0.5, unit: "pct", ci: [Number.NaN, 0.6] }), "50.0");
  assert.equal(texEscape("50% of a_b & −1 — ok"), "50\\% of a\\_b \\& $-$1 --- ok");
});

test("Markdown export of a fixed page equals the golden file", () => {
  assert.equal(pageMarkdown("Study bias-gender", parsePage(FIXED_PAGE)), golden("findings.md"));
});

test("LaTeX export (booktabs) of a fixed page equals the golden file", () => {
  assert.equal(pageLatex("Study bias-gender", parsePage(FIXED_PAGE)), golden("findings.tex"));
});

test("a malformed findings.json names the field", () => {
  assert.throws(() => parsePage({ kind: "x", tables: [{ id: "a b", title: "t", columns: [] }] }), /tables\.0\.id/);
});

test("facelab report --format md|tex writes report.md / report.tex; without findings it says why", async () => {
  const dir = join(root, "study");
  mkdirSync(dir);
  writeFileSync(join(dir, "status.json"), JSON.stringify({ kind: "study", name: "bias-gender", state: "finished" }));
  const program = new Command().exitOverride();
  register(program);
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    await assert.rejects(
      program.parseAsync(["node", "facelab", "report", dir, "--format", "md"]),
      /has no findings\.json.*--format html still works/,
    );
    writeFileSync(join(dir, "findings.json"), JSON.stringify(FIXED_PAGE));
    await program.parseAsync(["node", "facelab", "report", dir, "--format", "md"]);
    await program.parseAsync(["node", "facelab", "report", dir, "--format", "tex", "--out", join(root, "paper")]);
  } finally {
    console.log = orig;
  }
  assert.equal(readFileSync(join(dir, "report.md"), "utf8"), golden("findings.md"));
  assert.equal(readFileSync(join(root, "paper", "report.tex"), "utf8"), golden("findings.tex"));
  assert.match(logs.join("\n"), /report: .*paper\/report\.tex/);
});

test("the HTML page leads with findings and headline, then figures, claims, protocol, and the config last", async () => {
  const { writeReport } = await import("../../src/report/index.js");
  const dir = join(root, "page-run");
  mkdirSync(dir);
  writeFileSync(join(dir, "status.json"), JSON.stringify({ kind: "run", name: "page-run", state: "finished" }));
  writeFileSync(join(dir, "config.yaml"), "seed: 0\n");
  writeFileSync(
    join(dir, "report.json"),
    JSON.stringify([
      { kind: "lines", id: "gap-accuracy", title: "Lead chart", data: [{ x: 0, y: 1, series: "s" }] },
      { kind: "lines", title: "Other chart", data: [{ x: 0, y: 1, series: "s" }] },
    ]),
  );
  writeFileSync(join(dir, "findings.json"), JSON.stringify({ ...FIXED_PAGE, leadCharts: [["gap-accuracy"]] }));
  const html = readFileSync((await writeReport(dir, { png: false })).html, "utf8");
  const at = (s: string) => {
    const i = html.indexOf(s);
    assert.ok(i >= 0, `missing ${s}`);
    return i;
  };
  const order = [
    '<section id="findings"',
    "<li>Primary: for softmax",
    '<table class="headline">',
    'class="warnings"',
    '<svg role="img" aria-label="Lead chart"',
    '<table class="frame">',
    "Figures and tables",
    "Not exported: a detail table",
    'aria-label="Other chart"',
    '<table id="claims-table" class="sortable">',
    '<section id="protocol">',
    '<details class="config"><summary>Config (YAML)</summary><pre>seed: 0',
  ].map(at);
  assert.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
    "sections in reading order",
  );
  assert.ok(html.includes('<td class="num" data-v="0.041">+4.1 [2.2, 6.0]</td>'), "formatted cell with CI");
  assert.ok(html.includes('<tr data-family="primary">'), "claims carry their family for the filter");
  assert.ok(!html.includes('{"'), "no JSON text in the page");
});

/// <reference lib="dom" />
// Every report and dashboard page of three small real runs (SimCLR, `facelab train`, bias study) in
// headless Chromium at 1280×800: findings first (the headline/findings table inside the first 800 px),
// no horizontal scrollbar, no text that looks like JSON or a flattened key path, alt text on every
// chart, and a screenshot of each page in the output folder for a person to look at.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { writeReport } from "../../src/report/index.js";
import { dashboard, launchChromium, skipWithoutChromium } from "../web/chromium.js";
import { makeSmallRuns, type SmallRuns } from "./small-runs.js";

const skip = skipWithoutChromium;
/** The test's output folder: screenshots stay after the test. */
const shots = process.env.FACELAB_SCREENSHOTS ?? join(tmpdir(), "facelab-page-screenshots");
const keep = process.env.FACELAB_E2E_RUNS;
const root = keep ?? mkdtempSync(join(tmpdir(), "facelab-pages-"));

let browser: Browser | undefined;
let page: Page;
let runs: SmallRuns;
let url = "";
let stopServer = (): void => {};
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  runs = await makeSmallRuns(root);
  for (const dir of [runs.simclr, runs.train, runs.bias]) {
    const r = await writeReport(dir, { png: false });
    assert.deepEqual(r.problems, [], `report problems in ${dir}`);
  }
  const d = await dashboard(root);
  url = d.url;
  stopServer = d.stop;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  stopServer();
  if (!keep) rmSync(root, { recursive: true, force: true });
});

/** What a reader must never see: JSON text, or a dotted key path such as `headline.gender@10%.x`. */
const JSONISH = /^\s*(\{"|\[\{)/;
const KEY_PATH = /^[A-Za-z_][\w@%-]*(\.[A-Za-z_][\w@%-]*)+$/;
const FILE_NAME = /\.(html|png|svg|json|jsonl|yaml|csv|md|tex|safetensors|gz)$/;

async function readerChecks(name: string, headline: string): Promise<void> {
  // No horizontal scrollbar at 1280 px.
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(
    widths.scroll <= widths.client,
    `${name}: page is ${widths.scroll} px wide in a ${widths.client} px window`,
  );
  // The headline/findings table is on the first screen, whole.
  const box = await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return undefined;
    const r = el.getBoundingClientRect();
    return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
  }, headline);
  assert.ok(box, `${name}: no ${headline}`);
  assert.ok(box.top >= 0 && box.bottom <= 800, `${name}: headline table spans ${box.top}–${box.bottom} px`);
  // No element's own text looks like JSON or a flattened key path.
  const texts = await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((el) => !["SCRIPT", "STYLE"].includes(el.tagName))
      .flatMap((el) =>
        [...el.childNodes]
          .filter((n) => n.nodeType === Node.TEXT_NODE)
          .map((n) => (n.textContent ?? "").trim())
          .filter(Boolean),
      ),
  );
  const bad = texts.filter((t) => JSONISH.test(t) || (KEY_PATH.test(t) && !FILE_NAME.test(t)));
  assert.deepEqual(bad, [], `${name}: text that looks like JSON or a key path`);
  // Every chart is an image with alt text.
  const unlabelled = await page.evaluate(() => [
    ...[...document.querySelectorAll("svg.marks")]
      .filter((s) => !(s.getAttribute("aria-label") || s.closest("[aria-label]")?.getAttribute("aria-label")))
      .map((s) => s.closest("[id]")?.id ?? "svg"),
    ...[...document.querySelectorAll("img")].filter((i) => !i.getAttribute("alt")).map((i) => i.src.slice(0, 40)),
  ]);
  assert.deepEqual(unlabelled, [], `${name}: charts without alt text`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
  await page.screenshot({ path: join(shots, `${name}-full.png`), fullPage: true });
}

const report = (dir: string) => `file://${join(dir, "report.html")}`;

test("SimCLR run report: headline task × fraction × method with CIs and gains, monitors, confusions, protocol", {
  skip,
}, async () => {
  await page.goto(report(runs.simclr));
  await readerChecks("report-simclr", "#findings table.headline");
  const head = await page.$$eval("#findings table.headline th", (ths) => ths.map((t) => t.textContent));
  assert.deepEqual(head, [
    "task",
    "labels",
    "n labelled",
    "probe, SimCLR (%)",
    "probe, random init (%)",
    "probe gain (pp)",
    "fine-tune, SimCLR (%)",
    "from scratch (%)",
    "fine-tune gain (pp)",
  ]);
  const cells = await page.$$eval("#findings table.headline td", (tds) => tds.map((t) => t.textContent ?? ""));
  assert.ok(
    cells.some((c) => /^\d+\.\d \[\d+\.\d, \d+\.\d\]$/.test(c)),
    `mean [95% CI] cells: ${cells.join(" | ")}`,
  );
  assert.ok(await page.$("#findings figure#pretrain-monitors svg"), "monitors chart leads");
  assert.equal(
    (await page.$$("#findings .row figure.chart[id*='confusion'] svg")).length,
    4,
    "confusions side by side",
  );
  assert.ok(await page.$("#findings table.frame"), "per-class recall");
  const protocol = (await page.textContent("#protocol")) ?? "";
  for (const t of ["linear probe", "fine-tune", "kNN monitor", "labelled / validation", "L2 (weight decay)"])
    assert.ok(protocol.includes(t), t);
  assert.ok(await page.$("details.config pre"), "config folded at the end");
});

test("train run report: accuracy with CI, per-class recall, confusion and curves first", { skip }, async () => {
  await page.goto(report(runs.train));
  await readerChecks("report-train", "#findings table.headline");
  const acc = (await page.textContent("#findings table.headline tbody tr td:nth-child(4)")) ?? "";
  assert.match(acc, /^\d+\.\d \[\d+\.\d, \d+\.\d\]$/);
  assert.ok(await page.$("#findings figure#confusion svg"));
  assert.ok(await page.$("#findings table.frame"), "per-class table");
  assert.match((await page.textContent("#protocol")) ?? "", /bootstrap/);
});

test("bias study report: findings sentences, Holm primary table, metric frame, figures, sortable claims", {
  skip,
}, async () => {
  await page.goto(report(runs.bias));
  await readerChecks("report-bias", "#findings table.headline");
  const findings = await page.$$eval("#findings .findings-list li", (lis) => lis.map((l) => l.textContent ?? ""));
  assert.ok(
    findings.some((f) => /^Primary, softmax: .*Holm p = /.test(f)),
    findings.join("\n"),
  );
  assert.ok(findings.some((f) => f.startsWith("Largest accuracy gaps:")));
  assert.ok(findings.some((f) => f.startsWith('Planted effect (group "b"')));
  const frameHead = await page.$$eval("#findings table.frame th", (ths) => ths.map((t) => t.textContent));
  assert.deepEqual(frameHead, [
    "split",
    "loss",
    "a (%)",
    "b (%)",
    "difference max − min (pp)",
    "ratio min / max",
    "gap b − rest (pp)",
  ]);
  assert.ok(await page.$("#findings figure#gap-accuracy svg"), "gap vs training share leads");
  // Claims: sorting by the adjusted column orders the rows; filtering by family hides the rest.
  const n = (await page.$$("#claims-table tbody tr")).length;
  assert.ok(n > 10, `${n} claims`);
  await page.click('#claims-table th[data-col="8"]');
  const adjusted = await page.$$eval("#claims-table tbody tr td:nth-child(9)", (tds) =>
    tds.map((t) => Number((t as HTMLElement).dataset.v)),
  );
  assert.deepEqual(
    adjusted,
    [...adjusted].sort((a, b) => a - b),
  );
  await page.selectOption("#claims-family", "primary");
  assert.equal(await page.textContent("#claims-count"), "2 shown");
  await page.fill("#claims-filter", "ring");
  assert.equal(await page.textContent("#claims-count"), "1 shown");
});

test("dashboard: each run page shows the same findings and its progress; the study shows its cell grid", {
  skip,
}, async () => {
  const id = (dir: string) => dir.slice(root.length + 1);
  for (const [name, dir] of [
    ["simclr", runs.simclr],
    ["train", runs.train],
    ["bias", runs.bias],
  ] as const) {
    await page.goto(`${url}#/run/${id(dir)}`);
    await page.waitForSelector("#summary table.headline");
    if (name !== "bias") await page.waitForSelector("#chart-loss svg");
    await readerChecks(`dashboard-${name}`, "#summary table.headline");
    assert.match(
      (await page.textContent("#progress")) ?? "",
      name === "bias" ? /^4 of 4 cells done · finished$/ : /^epoch 2 of 2 · elapsed \d/,
    );
  }
  const states = await page.$$eval("#grid td.cell", (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(states, ["done", "done", "done", "done"], "2 splits × 2 losses, all done");
  await page.goto(`${url}#/compare/${id(runs.simclr)},${id(runs.train)}`);
  await page.waitForSelector("#summaries .column table.headline");
  assert.equal((await page.$$("#summaries .column table.headline")).length, 2, "headline tables side by side");
  await readerChecks("dashboard-compare", "#summaries table.headline");
  assert.deepEqual(pageErrors, []);
});

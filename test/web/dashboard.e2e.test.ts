/// <reference lib="dom" />
// End-to-end: the dashboard in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { Run } from "../../src/runs/run.js";
import { makeStudy } from "../report/fixture.js";
import { dashboard, launchChromium, skipWithoutChromium } from "./chromium.js";

const skip = skipWithoutChromium;
// How long a page may take to reach a state it must reach: generous, because on a loaded 2-core machine a
// 10 s wait once ran out (CI, 2026-12-07) though the page got there; a broken page still fails after it.
const WAIT = 60_000;
// Screenshots stay after the test for a person to look at.
const shots = process.env.FACELAB_SCREENSHOTS ?? join(tmpdir(), "facelab-dashboard-screenshots");

const root = mkdtempSync(join(tmpdir(), "facelab-e2e-"));
let browser: Browser | undefined;
let page: Page;
let url = "";
let stopServer = (): void => {};
let live: Run;
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  await makeStudy(root);
  live = await Run.create({
    root,
    name: "live",
    naming: "plain",
    crashHooks: false,
    clock: () => Date.UTC(2026, 0, 2),
  });
  for (let s = 0; s < 5; s++) live.log("train/loss", 2 - 0.2 * s, { step: s, epoch: 0 });
  const d = await dashboard(root);
  url = d.url;
  stopServer = d.stop;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text());
  });
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  stopServer();
  rmSync(root, { recursive: true, force: true });
});

test("runs list shows runs and studies with their state", { skip }, async () => {
  await page.goto(url);
  await page.waitForSelector('#runs tr[data-id="live"]');
  assert.equal(await page.textContent('#runs tr[data-id="live"] .state'), "running");
  assert.equal(await page.textContent('#runs tr[data-id="bias-study"] .state'), "finished");
  assert.equal(await page.textContent('#runs tr[data-id="bias-study/simclr-finetune"] td.name'), "simclr-finetune");
  // A run that appears after the page loaded shows up without a reload.
  await Run.create({ root, name: "late", naming: "plain", crashHooks: false });
  await page.waitForSelector('#runs tr[data-id="late"]', { timeout: WAIT });
  await page.screenshot({ path: join(shots, "runs-list.png"), fullPage: true });
});

test("a running job shows epoch x of y, elapsed and ETA from its records' times", { skip }, async () => {
  // A clock a minute later on every call: started, then each record, are a minute or more apart.
  let t = Date.UTC(2026, 0, 3);
  const run = await Run.create({
    root,
    name: "progress",
    naming: "plain",
    crashHooks: false,
    clock: () => (t += 60_000),
    config: { train: { epochs: 4 } },
  });
  run.log("train/loss", 1.5, { step: 10, epoch: 1 });
  // Evaluation phases count their own epochs; progress ignores them.
  run.log("eval/gender/fine-tune/0.1/@1/val_top1", 0.5, { step: 30, epoch: 30 });
  await page.goto(`${url}#/run/progress`);
  await page.waitForFunction(() => /ETA/.test(document.querySelector("#progress")?.textContent ?? ""), null, {
    timeout: WAIT,
  });
  const text = (await page.textContent("#progress")) ?? "";
  const m = /^epoch 1 of 4 · elapsed (\d+)m (\d+)s · ETA (\d+)m (\d+)s$/.exec(text);
  assert.ok(m, text);
  const [em, es, am, as] = m.slice(1).map(Number) as [number, number, number, number];
  // one epoch done in `elapsed`, three to go: ETA = 3 × elapsed
  assert.equal(am * 60 + as, 3 * (em * 60 + es));
  assert.ok(em >= 1, "at least a minute of the run's own clock");
  run.finish({});
});

test("a running job's curves update live when metrics.jsonl grows", { skip }, async () => {
  await page.goto(`${url}#/run/live`);
  await page.waitForSelector('#chart-loss[data-points="5"] svg', { timeout: WAIT });
  // The chart rendered with its axis titles and a line.
  const axisTexts = await page.$$eval("#chart-loss svg text", (ts) => ts.map((t) => t.textContent));
  assert.ok(axisTexts.includes("step (batches)"), axisTexts.join("|"));
  assert.ok(axisTexts.includes("Training loss"));
  assert.ok((await page.$$("#chart-loss svg .mark-line path")).length >= 1);
  const before = await page.getAttribute("#chart-loss svg .mark-line path", "d");
  live.log("train/loss", 0.25, { step: 40, epoch: 1 });
  live.log("val/acc", 0.75, { step: 40, epoch: 1 });
  await page.waitForSelector('#chart-loss[data-points="6"]', { timeout: WAIT });
  await page.waitForSelector('#chart-accuracy[data-points="1"]', { timeout: WAIT });
  assert.equal(await page.textContent('#latest tr[data-tag="train/loss"] td:last-child'), "0.25");
  assert.notEqual(await page.getAttribute("#chart-loss svg .mark-line path", "d"), before, "the line was redrawn");
  live.finish({ accuracy: 0.75 });
  await page.waitForFunction(() => document.querySelector("#state .state")?.textContent === "finished", null, {
    timeout: WAIT,
  });
  await page.waitForSelector("#summary td.num");
  await page.screenshot({ path: join(shots, "live-run.png"), fullPage: true });
});

test("comparing runs overlays their curves", { skip }, async () => {
  await page.goto(url);
  await page.waitForSelector('#runs tr[data-id="live"]');
  await page.check('input[data-select="live"]');
  await page.check('input[data-select="bias-study/simclr-finetune"]');
  await page.click("#compare");
  await page.waitForSelector('#chart-loss[data-points="96"] svg', { timeout: WAIT });
  const legend = await page.$$eval("#chart-loss svg .role-legend text", (ts) => ts.map((t) => t.textContent));
  for (const s of ["live: train/loss", "simclr-finetune: pretrain/loss", "simclr-finetune: finetune/loss"])
    assert.ok(legend.includes(s), legend.join("|"));
  // Summaries side by side as tables with words for keys (no dotted key paths).
  const summaries = (await page.textContent("#summaries")) ?? "";
  assert.match(summaries, /accuracy/);
  assert.ok(!summaries.includes("test.accuracy"), summaries);
  await page.screenshot({ path: join(shots, "compare.png"), fullPage: true });
});

test("a report opens from the dashboard", { skip }, async () => {
  await page.goto(`${url}report/bias-study`);
  await page.waitForSelector("figure svg");
  assert.ok((await page.$$("figure svg")).length >= 10);
  await page.screenshot({ path: join(shots, "report.png") });
  assert.deepEqual(pageErrors, []);
});

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import YAML from "yaml";
import { Run } from "../../src/runs/run.js";
import { listRuns, readMetrics } from "../../src/runs/scan.js";

const root = mkdtempSync(join(tmpdir(), "facelab-runs-"));
after(() => rmSync(root, { recursive: true, force: true }));
const src = resolve("src/runs/run.ts");
const fixed = (): number => Date.UTC(2026, 0, 2, 3, 4, 5);

/** Runs a TS snippet in a child process (with tsx); resolves with its exit code and signal. */
function child(code: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const file = join(root, `child-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, code);
  return new Promise((res) => {
    const p = spawn(process.execPath, ["--import", "tsx", file], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => {
      stderr += d;
    });
    p.on("exit", (c, s) => res({ code: c, signal: s, stderr }));
  });
}

test("a run writes config, env, metrics, status and summary", async () => {
  const run = await Run.create({
    root,
    name: "basic",
    config: { epochs: 2, optim: { lr: 0.1 } },
    clock: fixed,
    crashHooks: false,
  });
  assert.equal(run.dir, join(root, "basic-20260102-030405"));
  assert.deepEqual(YAML.parse(readFileSync(join(run.dir, "config.yaml"), "utf8")), { epochs: 2, optim: { lr: 0.1 } });
  const env = JSON.parse(readFileSync(join(run.dir, "env.json"), "utf8"));
  assert.equal(env.node, process.version);
  assert.match(env.torch.version, /^\d+\.\d+/);
  assert.ok(env.torch.threads >= 1);
  run.log("loss", 1.5, { step: 1, epoch: 0 });
  run.log("loss", Number.NaN, { step: 2 });
  run.chart({
    kind: "confusion",
    title: "Test confusion",
    data: {
      classes: ["a", "b"],
      matrix: [
        [1, 0],
        [0, 1],
      ],
    },
  });
  run.summary({ accuracy: 0.5 });
  run.finish({ loss: 1.5 });
  const lines = readFileSync(join(run.dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { step: 1, epoch: 0, tag: "loss", value: 1.5, time: fixed() / 1000 });
  assert.equal(lines[1].value, "NaN");
  assert.ok(Number.isNaN(readMetrics(run.dir).records[1]!.value));
  assert.deepEqual(JSON.parse(readFileSync(join(run.dir, "summary.json"), "utf8")), { accuracy: 0.5, loss: 1.5 });
  const status = JSON.parse(readFileSync(join(run.dir, "status.json"), "utf8"));
  assert.equal(status.state, "finished");
  assert.equal(JSON.parse(readFileSync(join(run.dir, "report.json"), "utf8"))[0].kind, "confusion");
  assert.throws(() => run.log("loss", 1, { step: -1 }), /step must be a non-negative integer/);
});

test("readMetrics tails: a half-written last line waits for its newline", async () => {
  const run = await Run.create({ root, name: "tail", naming: "plain", crashHooks: false });
  run.log("a", 1, { step: 0 });
  const first = readMetrics(run.dir);
  assert.equal(first.records.length, 1);
  writeFileSync(join(run.dir, "metrics.jsonl"), '{"step":1,"tag":"a","val', { flag: "a" });
  assert.deepEqual(readMetrics(run.dir, first.next), { records: [], next: first.next });
  writeFileSync(join(run.dir, "metrics.jsonl"), 'ue":2,"time":0}\n', { flag: "a" });
  assert.deepEqual(readMetrics(run.dir, first.next).records, [{ step: 1, tag: "a", value: 2, time: 0 }]);
});

test("two runs never share a directory, even from concurrent processes", async () => {
  const shared = join(root, "concurrent");
  const go = join(root, "go");
  const code = `
import { existsSync, writeFileSync } from "node:fs";
import { createUniqueDir } from ${JSON.stringify(src)};
writeFileSync(${JSON.stringify(join(root, "ready-"))} + process.pid, "");
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 5));
for (let i = 0; i < 25; i++) createUniqueDir(${JSON.stringify(shared)}, "same-20260102-030405");
`;
  const kids = Array.from({ length: 4 }, () => child(code));
  // Start them all at once, when every child is loaded and waiting.
  while (readdirSync(root).filter((f) => f.startsWith("ready-")).length < 4)
    await new Promise((r) => setTimeout(r, 10));
  writeFileSync(go, "");
  const results = await Promise.all(kids);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const dirs = readdirSync(shared);
  assert.equal(dirs.length, 100);
  assert.equal(new Set(dirs).size, 100);
  // Same-process: identical clock gives suffixed names.
  const a = await Run.create({ root: shared, name: "x", clock: fixed, crashHooks: false });
  const b = await Run.create({ root: shared, name: "x", clock: fixed, crashHooks: false });
  assert.notEqual(a.dir, b.dir);
  assert.ok(b.dir.endsWith("x-20260102-030405-2"));
});

test("bad run names are refused", async () => {
  await assert.rejects(Run.create({ root, name: "../escape" }), /may only contain/);
});

test("crashes are marked: uncaught exception, unhandled rejection, signal, early exit, execute()", async () => {
  const crashRoot = join(root, "crash");
  const prelude = `import { Run } from ${JSON.stringify(src)};\n`;
  const mk = (name: string) =>
    `const run = await Run.create({ root: ${JSON.stringify(crashRoot)}, name: "${name}", naming: "plain" });\n`;
  const cases = {
    thrown: `${mk("thrown")}setTimeout(() => { throw new RangeError("boom at step 3"); }, 1);`,
    rejected: `${mk("rejected")}Promise.reject(new Error("lost promise"));`,
    signal: `${mk("signal")}process.kill(process.pid, "SIGTERM"); setTimeout(() => {}, 5000);`,
    exit: `${mk("exit")}process.exit(3);`,
    execute: `${mk("execute")}try { await run.execute(async () => { throw new TypeError("bad batch"); }); } catch { process.exitCode = 1; }`,
    ok: `${mk("ok")}await run.execute(async (r) => r.log("x", 1, { step: 0 }));`,
  };
  const results = await Promise.all(Object.values(cases).map((c) => child(prelude + c)));
  const status = (n: string) => JSON.parse(readFileSync(join(crashRoot, n, "status.json"), "utf8"));
  assert.equal(results[2]!.signal, "SIGTERM", "the signal still terminates the process");
  assert.equal(status("thrown").state, "crashed");
  assert.equal(status("thrown").error, "RangeError: boom at step 3");
  assert.match(status("rejected").error, /lost promise/);
  assert.equal(status("signal").error, "interrupted by SIGTERM");
  assert.equal(status("exit").error, "process exited with code 3 before the run finished");
  assert.equal(status("execute").error, "TypeError: bad batch");
  assert.equal(status("ok").state, "finished");
  assert.ok(status("ok").ended);
  const listed = Object.fromEntries(listRuns(crashRoot).map((e) => [e.name, e.state]));
  assert.deepEqual(listed, {
    thrown: "crashed",
    rejected: "crashed",
    signal: "crashed",
    exit: "crashed",
    execute: "crashed",
    ok: "finished",
  });
});

test("a running status whose process is gone is reported stale", async () => {
  const r = await child(`import { Run } from ${JSON.stringify(src)};
const run = await Run.create({ root: ${JSON.stringify(join(root, "killed"))}, name: "k", naming: "plain" });
process.kill(process.pid, "SIGKILL");`);
  assert.equal(r.signal, "SIGKILL");
  const [e] = listRuns(join(root, "killed"));
  assert.equal(e!.state, "running");
  assert.equal(e!.stale, true);
});

test("studies list their child runs", async () => {
  const sroot = join(root, "studies");
  const study = await Run.create({ root: sroot, name: "bias", kind: "study", naming: "plain", crashHooks: false });
  const c1 = await Run.create({
    root: study.dir,
    name: "ratio-0.5",
    naming: "plain",
    crashHooks: false,
    clock: () => 1000,
  });
  await Run.create({ root: study.dir, name: "ratio-0.9", naming: "plain", crashHooks: false, clock: () => 2000 });
  c1.finish();
  const [s] = listRuns(sroot);
  assert.equal(s!.kind, "study");
  assert.deepEqual(
    s!.children.map((c) => [c.id, c.state]),
    [
      ["bias/ratio-0.9", "running"],
      ["bias/ratio-0.5", "finished"],
    ],
  );
});

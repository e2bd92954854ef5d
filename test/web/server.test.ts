import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Run } from "../../src/runs/run.js";
import { startDashboard } from "../../web/server.js";
import { makeStudy } from "../report/fixture.js";

const base = mkdtempSync(join(tmpdir(), "facelab-serve-"));
const root = join(base, "runs");
mkdirSync(root);
writeFileSync(join(base, "secret.txt"), "do not serve");
let url = "";
let close = (): void => {};
let live: Run;

before(async () => {
  await makeStudy(root);
  live = await Run.create({ root, name: "live", naming: "plain", crashHooks: false, clock: () => 5000 });
  live.log("train/loss", 2, { step: 0 });
  symlinkSync(base, join(root, "escape-link"));
  const d = await startDashboard({ root, port: 0, pollMs: 50 });
  url = d.url;
  close = () => {
    d.server.closeAllConnections();
    d.server.close();
  };
});
after(() => {
  close();
  rmSync(base, { recursive: true, force: true });
});

/** A raw GET: node:http sends the path exactly as given (no `..` normalisation, unlike fetch/URL). */
function get(path: string, method = "GET"): Promise<{ status: number; body: string; type: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => ok({ status: res.statusCode!, body, type: String(res.headers["content-type"]) }));
    });
    req.on("error", fail);
    req.end();
  });
}

test("binds 127.0.0.1 by default and lists runs and studies with status", async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const r = await get("/api/runs");
  assert.equal(r.status, 200);
  const runs = JSON.parse(r.body) as {
    id: string;
    kind: string;
    state: string;
    children: { id: string; state: string }[];
  }[];
  const byId = Object.fromEntries(runs.map((x) => [x.id, x]));
  assert.equal(byId["bias-study"]!.kind, "study");
  assert.deepEqual(
    byId["bias-study"]!.children.map((c) => [c.id, c.state]),
    [["bias-study/simclr-finetune", "finished"]],
  );
  assert.equal(byId.live!.state, "running");
  assert.equal(byId["escape-link"], undefined, "a symlink out of the root is not listed");
});

test("run info, metrics from an offset, report, files and the page itself", async () => {
  const info = JSON.parse((await get("/api/run/bias-study/simclr-finetune")).body);
  assert.equal(info.summary.test.accuracy, 0.8512);
  assert.match(info.config, /momentum: 0.9/);
  const m = JSON.parse((await get("/api/run/live/metrics")).body);
  assert.deepEqual(
    m.records.map((x: { value: number }) => x.value),
    [2],
  );
  live.log("train/loss", 1.5, { step: 1 });
  const m2 = JSON.parse((await get(`/api/run/live/metrics?from=${m.next}`)).body);
  assert.deepEqual(
    m2.records.map((x: { value: number }) => x.value),
    [1.5],
  );
  const rep = await get("/report/bias-study");
  assert.equal(rep.status, 200);
  assert.match(rep.body.slice(0, 400), /<title>Study bias-study/);
  const img = await get("/files/bias-study/simclr-finetune/images/augmentations-0.png");
  assert.equal(img.type, "image/png");
  assert.equal((await get("/")).status, 200);
  assert.equal((await get("/vendor/vega-lite.min.js")).status, 200);
  const spec = JSON.parse((await get("/api/spec/loss")).body);
  assert.deepEqual(spec.data, { name: "points" });
  assert.equal(spec.encoding.x.title, "step (batches)");
});

test("paths outside the runs root are refused, plain or encoded", async () => {
  const attempts = [
    "/files/../secret.txt",
    "/files/..%2fsecret.txt",
    "/files/%2e%2e/secret.txt",
    "/files/%2E%2E%2Fsecret.txt",
    "/files/live/..%2F..%2Fsecret.txt",
    "/files/live/%2e%2e/%2e%2e/secret.txt",
    "/files/..%5csecret.txt",
    "/files/escape-link/secret.txt",
    "/api/run/../metrics",
    "/api/run/%2e%2e/metrics",
    "/report/..%2f..",
    "/static/..%2fserver.ts",
    "/files/%00",
  ];
  for (const p of attempts) {
    const r = await get(p);
    assert.equal(r.status, 403, `${p} → ${r.status} ${r.body}`);
    assert.ok(!r.body.includes("do not serve"));
  }
  assert.equal((await get("/files/%zz")).status, 400);
  assert.equal((await get("/api/run/nope")).status, 404);
  assert.equal((await get("/api/run/live", "POST")).status, 405);
  assert.equal((await get("/api/run/live", "DELETE")).status, 405);
});

test("live events: the stream sends existing metrics, then each appended line, and status changes", async () => {
  const u = new URL(url);
  const received: string[] = [];
  const req = request({ host: u.hostname, port: u.port, path: "/api/run/live/events" });
  const done = new Promise<void>((ok) => {
    req.on("response", (res) => {
      assert.equal(res.headers["content-type"], "text/event-stream");
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        received.push(chunk);
        const all = received.join("");
        if (all.includes('"value":0.25') && all.includes('"state":"finished"')) ok();
      });
    });
  });
  req.end();
  const waitFor = async (s: string): Promise<void> => {
    while (!received.join("").includes(s)) await new Promise((r) => setTimeout(r, 20));
  };
  await waitFor('"state":"running"');
  assert.match(received.join(""), /event: metrics\ndata: \{"records":\[\{"step":0/);
  appendFileSync(
    join(live.dir, "metrics.jsonl"),
    `${JSON.stringify({ step: 7, tag: "train/loss", value: 0.25, time: 9 })}\n`,
  );
  await waitFor('"value":0.25');
  live.finish();
  await done;
  req.destroy();
});

// facelab launch (src/cli/commands/launch.ts) and rendezvous failures: clear errors, no hangs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { launch } from "../../../src/cli/commands/launch.js";
import { availableBackends, initProcessGroup, newGroup } from "../../../src/torch/distributed/index.js";
import { TorchError } from "../../../src/torch/index.js";
import { freePort, here, runRanks } from "./fixtures/spawn.js";

function capture() {
  const lines: string[] = [];
  return { lines, sink: (l: string) => lines.push(l) };
}

test("launch runs N workers with rank, world size and a share of the cores", async () => {
  const out = capture();
  const err = capture();
  const code = await launch({
    nproc: 2,
    masterPort: await freePort(),
    command: [join(here, "ok.ts")],
    env: { FACELAB_THREADS: "1" },
    out: out.sink,
    err: err.sink,
  });
  assert.equal(code, 0, err.lines.join("\n"));
  const got = out.lines.filter((l) => l.includes("sum=")).sort();
  assert.deepEqual(got, [
    "[rank 0] rank=0 world=2 local=0 threads=1 sum=2",
    "[rank 1] rank=1 world=2 local=1 threads=1 sum=2",
  ]);
});

test("a killed worker makes the launcher stop the others and exit non-zero naming the rank", async () => {
  const err = capture();
  const code = await launch({
    nproc: 2,
    masterPort: await freePort(),
    command: [join(here, "die.ts")],
    env: { FACELAB_THREADS: "1" },
    graceMs: 2000,
    out: () => {},
    err: err.sink,
  });
  assert.equal(code, 1);
  const text = err.lines.join("\n");
  assert.match(text, /rank 1 \(local rank 1\) was killed by SIGKILL; stopped the other workers/);
  assert.match(text, /last output of rank 1:\n {2}rank 1 joined\n {2}rank 1 about to die/);
});

test("a worker whose master never answers fails within the timeout, and the launcher names it", async () => {
  const err = capture();
  const code = await launch({
    nproc: 1,
    nnodes: 2,
    nodeRank: 1, // rank 1 of 2: a client of a store that nobody started
    masterPort: await freePort(),
    timeoutMs: 1000,
    command: [join(here, "ok.ts")],
    env: { FACELAB_THREADS: "1" },
    out: () => {},
    err: err.sink,
  });
  assert.equal(code, 1);
  const text = err.lines.join("\n");
  assert.match(text, /rank 1 \(local rank 0\) exited with code 1/);
  assert.match(
    text,
    /initProcessGroup \(rank 1\): cannot reach the rendezvous store at 127\.0\.0\.1:\d+ within 1000 ms/,
  );
});

test("a wrong master port rejects with a TorchError instead of hanging or aborting", async () => {
  const port = await freePort();
  await assert.rejects(
    initProcessGroup({ rank: 1, worldSize: 2, masterAddr: "127.0.0.1", masterPort: port, timeoutMs: 500 }),
    (e: unknown) => e instanceof TorchError && /cannot reach the rendezvous store at 127\.0\.0\.1:/.test(e.message),
  );
});

test("a peer that never arrives makes rank 0's rendezvous time out naming the missing rank", async () => {
  await assert.rejects(
    initProcessGroup({ rank: 0, worldSize: 3, masterPort: await freePort(), timeoutMs: 300 }),
    (e: unknown) =>
      e instanceof TorchError && /rendezvous timed out after 300 ms: rank\(s\) 1, 2 of 3 never arrived/.test(e.message),
  );
});

test("options are validated before anything is started", async () => {
  await assert.rejects(initProcessGroup({ rank: 2, worldSize: 2 }), /rank must be an integer in \[0, 2\), got 2/);
  await assert.rejects(initProcessGroup({ backend: "mpi" as "gloo" }), /backend must be "gloo" or "nccl"/);
  assert.throws(() => launch({ nproc: 0, command: ["x.ts"] }), /--nproc must be an integer in \[1, 1024\], got 0/);
  assert.throws(() => launch({ nproc: 1, command: [] }), /give the command to run after --/);
});

test("a peer that exits makes the next collective reject with a TorchError; the process lives on", async () => {
  const [r0] = await runRanks("peer-exits.ts", 2, { FACELAB_DIST_TIMEOUT_MS: "5000" });
  assert.equal(r0?.code, 0, r0?.stderr);
  const { error, after } = (r0?.result ?? {}) as { error: string; after: number };
  assert.match(error, /^TorchError: allreduce: .*(closed by peer|reset by peer|Timed out)/);
  assert.equal(after, 6);
});

test("a peer that leaves fails SyncBatchNorm's blocking all-reduce and DDP's in-backward all-reduce with a TorchError", async () => {
  const [r0] = await runRanks("peer-exits-sync.ts", 2, { FACELAB_DIST_TIMEOUT_MS: "5000" });
  assert.equal(r0?.code, 0, r0?.stderr);
  const { syncBnError, ddpError, after } = (r0?.result ?? {}) as Record<string, string | number>;
  assert.match(
    String(syncBnError),
    /^TorchError: allreduceSync \(rank 0\): .*(closed by peer|reset by peer|Timed out|timed out)/,
  );
  assert.match(String(ddpError), /^TorchError: .*(closed by peer|reset by peer|Timed out|timed out)/);
  assert.equal(after, 6);
});

test("backend nccl in a build without NCCL fails at once with a clear error", async (t) => {
  if (availableBackends().includes("nccl")) return t.skip("this addon was built with NCCL");
  assert.ok(availableBackends().includes("gloo"));
  await assert.rejects(newGroup({ backend: "nccl", worldSize: 1, rank: 0, masterPort: 1 }), (e: unknown) => {
    assert.ok(e instanceof TorchError);
    assert.match(e.message, /backend "nccl" is not available: this build of the addon has no NCCL.*CUDA LibTorch/);
    return true;
  });
});

test("file rendezvous (FileStore) works in place of the TCP store", async () => {
  const dir = mkdtempSync(join(tmpdir(), "facelab-dist-"));
  const out = capture();
  const err = capture();
  try {
    const code = await launch({
      nproc: 2,
      masterPort: 1, // never used: the file store replaces the TCP store
      command: [join(here, "ok.ts")],
      env: { FACELAB_THREADS: "1", FACELAB_INIT_FILE: join(dir, "store") },
      out: out.sink,
      err: err.sink,
    });
    assert.equal(code, 0, err.lines.join("\n"));
    assert.equal(out.lines.filter((l) => l.includes("sum=2")).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

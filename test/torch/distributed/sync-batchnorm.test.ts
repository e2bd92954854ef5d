// SyncBatchNorm over 2 workers equals LibTorch's batch_norm over the concatenated batch (float64),
// and a BN network trained on 2 workers with SyncBatchNorm equals one process on the whole batch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { convertSyncBatchNorm, revertSyncBatchNorm, SyncBatchNorm } from "../../../src/torch/distributed/index.js";
import { F, noGrad, tensor, tidy } from "../../../src/torch/index.js";
import { BatchNorm1d, BatchNorm2d } from "../../../src/torch/nn/index.js";
import { B, bnCase, bnNet, imageData, ROWS_OF_RANK, sgdStep } from "./fixtures/problems.js";
import { runRanks } from "./fixtures/spawn.js";

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
function close(a: unknown, b: unknown, tol: number, what: string) {
  const x = flat(a);
  const y = flat(b);
  assert.equal(x.length, y.length, `${what}: length`);
  x.forEach((v, i) => {
    assert.ok(Math.abs(v - (y[i] as number)) <= tol, `${what}[${i}]: ${v} vs ${y[i]}`);
  });
}
const TOL = 1e-10;

test("SyncBatchNorm on 2 workers (3 + 5 rows) equals batch_norm on the whole batch: outputs, gradients, running stats, eval", async () => {
  const ranks = await runRanks("syncbn.ts", 2);
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  // Oracle: LibTorch's own batch_norm on all 8 rows in one process.
  const c = bnCase();
  const ref = tidy(() => {
    const x3 = c.x3.detach();
    x3.requiresGrad = true;
    const y3 = F.batchNorm(x3, c.rm, c.rv, { weight: c.weight, bias: c.bias, training: true });
    y3.mul(c.v3).sum([1, 2]).square().mean().backward();
    const functional = {
      y: y3.toArray(),
      xGrad: x3.grad?.toArray(),
      wGrad: c.weight.grad?.toNumbers(),
      bGrad: c.bias.grad?.toNumbers(),
      runningMean: c.rm.toNumbers(),
      runningVar: c.rv.toNumbers(),
    };
    const bn = new BatchNorm2d(3, { dtype: "float64" });
    noGrad(() => {
      bn.weight?.copy_(c.weight);
      bn.bias?.copy_(c.bias);
    });
    const x4 = c.x4.detach();
    x4.requiresGrad = true;
    const y4 = bn.call(x4);
    y4.mul(c.v4).sum([1, 2, 3]).square().mean().backward();
    bn.eval();
    const module = {
      y: y4.toArray(),
      yEval: bn.call(c.x4).toArray(),
      xGrad: x4.grad?.toArray(),
      wGrad: bn.weight?.grad?.toNumbers(),
      bGrad: bn.bias?.grad?.toNumbers(),
      runningMean: bn.runningMean?.toNumbers(),
      runningVar: bn.runningVar?.toNumbers(),
      keys: [...bn.stateDict().keys()],
    };
    bn.dispose();
    return { functional, module };
  });
  for (const { rank, result } of ranks) {
    const [start, rows] = ROWS_OF_RANK[rank] as [number, number];
    const mine = <T>(a: T[]) => a.slice(start, start + rows);
    const o = result as { functional: Record<string, unknown>; module: Record<string, unknown> };
    for (const kind of ["functional", "module"] as const) {
      const got = o[kind];
      const want = ref[kind] as Record<string, unknown>;
      close(got.y, mine(want.y as unknown[]), TOL, `rank ${rank} ${kind} y`);
      close(got.xGrad, mine(want.xGrad as unknown[]), TOL, `rank ${rank} ${kind} x.grad`);
      for (const k of ["wGrad", "bGrad", "runningMean", "runningVar"])
        close(got[k], want[k], TOL, `rank ${rank} ${kind} ${k}`);
    }
    close(o.module.yEval, mine(ref.module.yEval as unknown[]), TOL, `rank ${rank} eval-mode output`);
    assert.equal(o.module.isSync, true);
    assert.match(o.module.name as string, /^SyncBatchNorm\(3, eps=/);
    assert.deepEqual(o.module.keys, ref.module.keys);
    assert.equal(o.module.batches, 1);
  }
  for (const t of Object.values(c)) if (typeof t === "object") t.dispose();
});

/** The single-process oracle: SGD on bnNet with the whole batch, BN in training mode. */
function trainAlone(steps: number, lr: number) {
  const { x, y } = imageData();
  const net = bnNet(1);
  for (let s = 0; s < steps; s++) {
    tidy(() => {
      F.mseLoss(net.call(x), y).backward();
      sgdStep(net.parameters(), lr);
    });
  }
  const out = tidy(() => ({
    params: net.parameters().map((p) => p.toNumbers()),
    buffers: net.buffers().map((b) => b.toNumbers()),
  }));
  for (const t of [x, y]) t.dispose();
  net.dispose();
  return out;
}

test("SGD on a BatchNorm network in training mode: 2 workers with SyncBatchNorm equal one process with the whole batch", async () => {
  const [ranks, plain] = await Promise.all([
    runRanks("syncbn-train.ts", 2),
    runRanks("syncbn-train.ts", 2, { SYNC_BN: "0" }),
  ]);
  for (const r of [...ranks, ...plain]) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  const { steps, lr } = (ranks[0] as { result: unknown }).result as { steps: number; lr: number };
  const ref = trainAlone(steps, lr);
  const initial = tidy(() => {
    const n = bnNet(1);
    const p = n.parameters().map((t) => t.toNumbers());
    n.dispose();
    return p;
  });
  for (const { rank, result } of ranks) {
    const got = result as { params: number[][]; buffers: number[][] };
    got.params.forEach((p, i) => {
      close(p, ref.params[i], 1e-9, `rank ${rank} param ${i}`);
    });
    got.buffers.forEach((b, i) => {
      close(b, ref.buffers[i], 1e-9, `rank ${rank} buffer ${i}`);
    });
  }
  // The comparison has teeth: training moved the weights, and per-worker BN statistics
  // (plain BatchNorm under DDP) end somewhere else.
  const moved = Math.max(...flat(ref.params).map((v, i) => Math.abs(v - (flat(initial)[i] as number))));
  assert.ok(moved > 1e-2, `training moved the parameters by ${moved}`);
  const plainParams = flat((plain[0]?.result as { params: number[][] } | undefined)?.params);
  const apart = Math.max(...plainParams.map((v, i) => Math.abs(v - (flat(ref.params)[i] as number))));
  assert.ok(apart > 1e-4, `without SyncBatchNorm the workers should differ from one process, max |Δ| = ${apart}`);
});

test("convertSyncBatchNorm converts every BatchNorm in place and revertSyncBatchNorm undoes it; one process SyncBatchNorm is batch norm", () => {
  const net = bnNet(2);
  const ref = bnNet(2);
  const before = net.modules();
  const out = convertSyncBatchNorm(net);
  assert.equal(out, net);
  assert.deepEqual(net.modules(), before);
  assert.deepEqual(
    net.modules().map((m) => m.constructor.name),
    ref.modules().map((m) => (m.constructor.name.startsWith("BatchNorm") ? "SyncBatchNorm" : m.constructor.name)),
  );
  assert.deepEqual([...net.stateDict({ keepVars: true }).keys()], [...ref.stateDict({ keepVars: true }).keys()]);
  assert.ok(net.getChild("1") instanceof SyncBatchNorm);
  // Still a BatchNorm2d's input check.
  assert.throws(
    () => (net.getChild("1") as SyncBatchNorm).call(tensor([[1, 2, 3]], { dtype: "float64" })),
    /expected 4D input/,
  );
  const { x } = imageData();
  tidy(() => close(net.call(x).toArray(), ref.call(x).toArray(), 0, "world size 1 output"));
  close(
    net.buffers().map((b) => b.toNumbers()),
    ref.buffers().map((b) => b.toNumbers()),
    0,
    "world size 1 running stats",
  );
  revertSyncBatchNorm(net);
  assert.deepEqual(
    net.modules().map((m) => m.constructor.name),
    ref.modules().map((m) => m.constructor.name),
  );
  assert.ok(net.getChild("6") instanceof BatchNorm1d);
  x.dispose();
  net.dispose();
  ref.dispose();
  assert.ok(B > 0);
});

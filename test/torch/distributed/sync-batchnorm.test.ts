// syncBatchNorm over 2 workers equals PyTorch-style batch norm over the concatenated batch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { F, manualSeed, ones, randn, tensor, tidy, zeros } from "../../../src/torch/index.js";
import { runRanks } from "./fixtures/spawn.js";

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
function close(a: number[], b: number[], tol: number, what: string) {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => {
    assert.ok(Math.abs(v - (b[i] as number)) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`);
  });
}

test("synchronised batch norm on 2 workers matches batch norm on the whole batch (values, gradients, running stats)", async () => {
  const ranks = await runRanks("syncbn.ts", 2);
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  // Oracle: LibTorch's own batch_norm on all 8 rows in one process.
  const ref = tidy(() => {
    manualSeed(11);
    const x = randn([8, 3, 2]).mul(2).add(1);
    const v = randn([3, 2]);
    x.requiresGrad = true;
    const weight = tensor([1.5, 0.5, -1], { requiresGrad: true });
    const bias = tensor([0.1, 0.2, 0.3], { requiresGrad: true });
    const rm = zeros([3]);
    const rv = ones([3]);
    const y = F.batchNorm(x, rm, rv, { weight, bias, training: true, momentum: 0.1, eps: 1e-5 });
    y.mul(v).sum([1, 2]).square().mean().backward();
    return {
      y: flat(y.toArray()),
      xGrad: flat(x.grad?.toArray()),
      wGrad: weight.grad?.toNumbers() ?? [],
      bGrad: bias.grad?.toNumbers() ?? [],
      rm: rm.toNumbers(),
      rv: rv.toNumbers(),
    };
  });
  for (const { rank, result } of ranks) {
    const o = result as Record<string, unknown>;
    const rows = 4 * 3 * 2;
    close(flat(o.y), ref.y.slice(rank * rows, (rank + 1) * rows), 1e-4, `rank ${rank} y`);
    // This rank's objective is its own mean loss plus the others' dependence on its statistics,
    // Σ_k L_k = 2 × the global mean loss: its input gradient is twice the single-process one.
    close(
      flat(o.xGrad),
      ref.xGrad.slice(rank * rows, (rank + 1) * rows).map((g) => 2 * g),
      1e-4,
      `rank ${rank} x.grad`,
    );
    close(flat(o.wGrad), ref.wGrad, 1e-4, `rank ${rank} weight.grad`);
    close(flat(o.bGrad), ref.bGrad, 1e-4, `rank ${rank} bias.grad`);
    close(flat(o.runningMean), ref.rm, 1e-5, `rank ${rank} running_mean`);
    close(flat(o.runningVar), ref.rv, 1e-4, `rank ${rank} running_var`);
  }
});

// Data-parallel training on 2 processes equals one process with the whole global batch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ntXent } from "../../../src/losses/ntxent.js";
import { liveTensors, tidy } from "../../../src/torch/index.js";
import { contrastiveData, initMlp, LR, mlpLoss, regressionData, STEPS, sgdStep } from "./fixtures/problems.js";
import { runRanks } from "./fixtures/spawn.js";

function close(a: number[], b: number[], tol: number, what: string) {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => {
    assert.ok(Math.abs(v - (b[i] as number)) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`);
  });
}
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

for (const overlap of [true, false])
  test(`SGD steps with global batch 8 over 2 workers match one process with batch 8 (${overlap ? "all-reduce overlapping backward" : "all-reduce after backward"})`, async () => {
    const ranks = await runRanks("train.ts", 2, { OVERLAP: overlap ? "1" : "0" });
    for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
    const start = liveTensors();
    // Oracle: the same steps in this process on the full batch, from rank 0's initial weights.
    const { x, y } = regressionData();
    const params = initMlp(1);
    const initial = params.map((p) => p.toNumbers());
    for (let s = 0; s < STEPS; s++) {
      tidy(() => {
        mlpLoss(params, x, y).backward();
        sgdStep(params, LR);
      });
    }
    for (const { rank, result } of ranks) {
      const got = (result as { params: number[][] }).params;
      got.forEach((p, i) => {
        close(p, params[i]?.toNumbers() ?? [], 1e-5, `rank ${rank} param ${i}`);
      });
      // and training moved them (the comparison is not between two untouched copies)
      assert.ok(Math.abs((got[0]?.[0] ?? 0) - (initial[0]?.[0] ?? 0)) > 1e-3);
    }
    for (const t of [x, y, ...params]) t.dispose();
    assert.equal(liveTensors(), start);
  });

test("NT-Xent with negatives gathered from 2 workers equals the loss and gradient on the concatenated batch", async () => {
  const ranks = await runRanks("ntxent.ts", 2);
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  const start = liveTensors();
  const { x1, x2, w } = contrastiveData();
  const loss = tidy(() => {
    const l = ntXent(x1.matmul(w.t()), x2.matmul(w.t()), { temperature: 0.5 });
    l.backward();
    return l.item();
  });
  const grad = tidy(() => flat(w.grad?.toArray()));
  const r0 = ranks[0]?.result as { localLoss: number; meanLoss: number; grad: unknown };
  const r1 = ranks[1]?.result as { localLoss: number; meanLoss: number; grad: unknown };
  // Each rank's loss is the mean over its own anchors; their mean is the global loss.
  assert.ok(Math.abs(r0.meanLoss - loss) < 1e-5, `${r0.meanLoss} vs ${loss}`);
  assert.ok(Math.abs((r0.localLoss + r1.localLoss) / 2 - loss) < 1e-5);
  assert.notEqual(r0.localLoss, r1.localLoss);
  close(flat(r0.grad), grad, 1e-5, "rank 0 grad");
  close(flat(r1.grad), grad, 1e-5, "rank 1 grad");
  w.grad = null;
  for (const t of [x1, x2, w]) t.dispose();
  assert.equal(liveTensors(), start);
});

test("without summing the gathered gradient the cross-worker negative terms are lost", async () => {
  const ranks = await runRanks("ntxent.ts", 2, { SUM_GRADIENTS: "0" });
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  const { x1, x2, w } = contrastiveData();
  tidy(() => ntXent(x1.matmul(w.t()), x2.matmul(w.t()), { temperature: 0.5 }).backward());
  const grad = tidy(() => flat(w.grad?.toArray()));
  const got = flat((ranks[0]?.result as { grad: unknown } | undefined)?.grad);
  const maxDiff = Math.max(...got.map((v, i) => Math.abs(v - (grad[i] as number))));
  assert.ok(maxDiff > 1e-3, `expected a visible difference, max |Δ| = ${maxDiff}`);
  for (const t of [x1, x2, w]) t.dispose();
});

test("bucket all-reduces launch during backward; noSync accumulation and unused parameters", async () => {
  const ranks = await runRanks("overlap.ts", 2);
  for (const r of ranks) assert.equal(r.code, 0, `rank ${r.rank} failed:\n${r.stderr}`);
  // Oracle: the gradient of the global mean loss on the whole batch in one process.
  const { x, y } = regressionData();
  const params = initMlp(1);
  tidy(() => mlpLoss(params, x, y).backward());
  const want = params.map((p) => p.grad?.toNumbers() ?? []);
  for (const { rank, result } of ranks) {
    const o = result as {
      step: { events: string[]; grads: number[][] };
      accumulated: { inside: (number[] | null)[]; grads: number[][]; events: string[] };
      unusedError: string;
      unused: { grads: number[][]; extra: number[] };
    };
    const ev = o.step.events;
    // Parameters are w1 b1 w2 b2 (0..3); buckets (b2, w2, b1) then (w1). Bucket 0 was launched
    // before w1's gradient existed, i.e. while backward was still running, and everything was
    // launched before syncGradients() began.
    const launch0 = ev.indexOf("launch 0");
    assert.ok(launch0 >= 0 && launch0 < ev.indexOf("grad 0"), `rank ${rank} events ${ev.join(", ")}`);
    assert.ok(ev.indexOf("launch 1") < ev.indexOf("finalize"), `rank ${rank} events ${ev.join(", ")}`);
    assert.deepEqual(ev.slice().sort(), ["finalize", "grad 0", "grad 1", "grad 2", "grad 3", "launch 0", "launch 1"]);
    o.step.grads.forEach((gr, i) => {
      close(gr, want[i] ?? [], 1e-6, `rank ${rank} grad ${i}`);
    });
    // noSync: the first micro-batch's gradient stayed local (syncGradients inside was a no-op) …
    assert.ok(o.accumulated.inside.every((gr) => gr !== null));
    // … and the synchronised backward all-reduced the accumulated sum.
    o.accumulated.grads.forEach((gr, i) => {
      close(gr, want[i] ?? [], 1e-6, `rank ${rank} accumulated grad ${i}`);
    });
    assert.ok(o.accumulated.events.includes("launch 0"));
    assert.match(o.unusedError, /TorchError: .*rank \d.*got no gradient.*\(extra\).*findUnusedParameters: true/);
    o.unused.grads.forEach((gr, i) => {
      close(gr, want[i] ?? [], 1e-6, `rank ${rank} grad ${i} with an unused parameter`);
    });
    assert.deepEqual(o.unused.extra, [0, 0, 0]);
  }
  for (const p of params) p.grad = null;
  for (const t of [x, y, ...params]) t.dispose();
});

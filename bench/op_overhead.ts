// Per-op overhead: small ops on 2-element tensors called many times, facelab vs PyTorch, so the
// fixed cost of one op call (crossing into LibTorch, the dispatcher, allocating and freeing the
// result) shows apart from kernel time. Both sides free each result at once (facelab: dispose()
// inside a scope; PyTorch: reference counting). Exported for bench/run.ts; also runs alone:
// `node --import tsx bench/op_overhead.ts [calls]`.
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { cat, getNumThreads, ones, setNumThreads, type Tensor, tensor, tidy } from "../src/torch/index.js";
import { runPython } from "./sides.js";

export interface OpOverheadRow {
  op: string;
  /** µs per call, median over the repeats */
  facelab: number;
  pytorch: number;
  /** facelab / PyTorch time per call (< 1: facelab faster) */
  ratio: number;
}

interface Inputs {
  a: Tensor;
  b: Tensor;
  m: Tensor;
  idx: Tensor;
}

// Each case: a facelab call and the same call in Python over a, b (shape [2]), m ([2, 2]), idx ([1], int64).
const CASES: [string, (x: Inputs) => Tensor, string][] = [
  ["add (tensor)", ({ a, b }) => a.add(b), "a.add(b)"],
  ["add (scalar)", ({ a }) => a.add(2), "a.add(2)"],
  ["mul (tensor)", ({ a, b }) => a.mul(b), "a.mul(b)"],
  ["relu", ({ a }) => a.relu(), "a.relu()"],
  ["sum", ({ a }) => a.sum(), "a.sum()"],
  ["view", ({ a }) => a.view(2, 1), "a.view(2, 1)"],
  ["narrow", ({ a }) => a.narrow(0, 0, 1), "a.narrow(0, 0, 1)"],
  ["index_select", ({ a, idx }) => a.indexSelect(0, idx), "a.index_select(0, idx)"],
  ["cat", ({ a, b }) => cat([a, b]), "torch.cat([a, b])"],
  ["matmul 2×2", ({ m }) => m.matmul(m), "m.matmul(m)"],
];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] as number;

function facelabTimes(calls: number, repeats: number): number[] {
  return tidy(() => {
    const x: Inputs = { a: ones([2]), b: ones([2]), m: ones([2, 2]), idx: tensor([1], { dtype: "int64" }) };
    return CASES.map(([, f]) => {
      const once = () => {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) f(x).dispose();
        return ((performance.now() - t0) * 1000) / calls;
      };
      once(); // warm up: op ids, JIT
      return median(Array.from({ length: repeats }, once));
    });
  });
}

function pytorchTimes(calls: number, repeats: number, threads: number): number[] {
  const py = `
import json, statistics, time, torch
torch.set_num_threads(${threads})
a = torch.ones(2); b = torch.ones(2); m = torch.ones(2, 2); idx = torch.tensor([1])
out = []
for src in ${JSON.stringify(CASES.map((c) => c[2]))}:
    f = eval("lambda: " + src)
    def once():
        t0 = time.perf_counter()
        for _ in range(${calls}): f()
        return (time.perf_counter() - t0) * 1e6 / ${calls}
    once()
    out.append(statistics.median([once() for _ in range(${repeats})]))
print(json.dumps(out))`;
  return runPython<number[]>("PyTorch side of the per-op overhead bench", ["-c", py], threads);
}

/** Times every case on both sides (1 intra-op thread unless told: the tensors are too small to split). */
export function benchOpOverhead(o: { calls?: number; repeats?: number; threads?: number } = {}): OpOverheadRow[] {
  const calls = o.calls ?? 20000;
  const repeats = o.repeats ?? 5;
  const threads = o.threads ?? 1;
  const before = getNumThreads();
  setNumThreads(threads);
  let f: number[];
  try {
    f = facelabTimes(calls, repeats);
  } finally {
    setNumThreads(before);
  }
  const p = pytorchTimes(calls, repeats, threads);
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return CASES.map(([op], i) => {
    const fi = f[i] as number;
    const pi = p[i] as number;
    return { op, facelab: r2(fi), pytorch: r2(pi), ratio: r2(fi / pi) };
  });
}

export function opOverheadLine(r: OpOverheadRow): string {
  return `per-op ${r.op}: facelab ${r.facelab.toFixed(2)} µs, PyTorch ${r.pytorch.toFixed(2)} µs, ratio ${r.ratio.toFixed(2)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const calls = Number(process.argv[2] ?? 20000);
  for (const r of benchOpOverhead({ calls })) console.log(opOverheadLine(r));
}

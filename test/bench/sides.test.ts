// The bench's PyTorch-side runner (bench/sides.ts) and the per-generation extras report
// (bench/extras.ts): the interpreter comes from FACELAB_BENCH_PYTHON, the last stdout line is the
// result, and every failure names the side, the interpreter and what went wrong.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { type Extras, extrasLines } from "../../bench/extras.js";
import { runPython, torchPython } from "../../bench/sides.js";

const saved = process.env.FACELAB_BENCH_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.FACELAB_BENCH_PYTHON;
  else process.env.FACELAB_BENCH_PYTHON = saved;
});

test("the PyTorch side's last stdout line is its JSON result; OMP_NUM_THREADS is the thread count", () => {
  delete process.env.FACELAB_BENCH_PYTHON;
  assert.equal(torchPython(), "/usr/bin/python3");
  const r = runPython<{ a: number; omp: string }>(
    "probe",
    ["-c", "import json, os; print('warming up'); print(json.dumps({'a': 1, 'omp': os.environ['OMP_NUM_THREADS']}))"],
    3,
  );
  assert.deepEqual(r, { a: 1, omp: "3" });
});

test("a failing side names itself, its interpreter, the exit code and its stderr", () => {
  process.env.FACELAB_BENCH_PYTHON = "/usr/bin/python3";
  assert.throws(
    () => runPython("PyTorch side of x", ["-c", "import sys; sys.stderr.write('no torchvision here'); sys.exit(3)"], 1),
    /PyTorch side of x \(\/usr\/bin\/python3\) failed \(exit 3\):\nno torchvision here/,
  );
  assert.throws(
    () => runPython("side y", ["-c", "print('not json')"], 1),
    /side y \(\/usr\/bin\/python3\) printed no JSON result line; its last line: "not json"/,
  );
});

test("FACELAB_BENCH_PYTHON picks the interpreter (a generation's venv)", () => {
  process.env.FACELAB_BENCH_PYTHON = "/nonexistent/venv/bin/python";
  assert.equal(torchPython(), "/nonexistent/venv/bin/python");
  assert.throws(() => runPython("side z", ["-c", "print(1)"], 1), /side z \(\/nonexistent\/venv\/bin\/python\) failed/);
});

test("extras report lines carry their generation, and skipped cases say why", () => {
  const e: Extras = {
    torch: "2.13",
    opOverhead: [{ op: "add (tensor)", facelab: 1.5, pytorch: 3, ratio: 0.5 }],
    scaling: [{ nproc: 1, overlapBackward: false, threadsPerWorker: 2, imagesPerSec: 10, speedup: 1, efficiency: 1 }],
    skipped: ["augment and simclr_step: /v/bin/python has no torchvision/PIL"],
  };
  assert.deepEqual(extrasLines(e), [
    "scaling@2.13 1 process(es) × 2 threads: 10.0 img/s, speedup 1.00, efficiency 100%",
    "per-op@2.13 add (tensor): facelab 1.50 µs, PyTorch 3.00 µs, ratio 0.50",
    "skipped@2.13: augment and simclr_step: /v/bin/python has no torchvision/PIL",
  ]);
});

// bench/generations.ts: whether a generation's interpreter can run the torchvision-based PyTorch
// sides (augment, simclr_step), and the reason it cannot — what the extras report as skipped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { torchvisionProblem } from "../../bench/generations.js";

test("Debian's interpreter has torchvision (the 1.13 reference side)", () => {
  assert.equal(torchvisionProblem("/usr/bin/python3"), undefined);
});

test("an interpreter without torchvision gets a reason naming it and the import error", () => {
  const p = "/nonexistent/venv/bin/python";
  assert.match(
    torchvisionProblem(p) ?? "",
    /^\/nonexistent\/venv\/bin\/python cannot import torchvision and PIL \(.*ENOENT.*\)$/,
  );
  // An interpreter whose import fails reports Python's last error line.
  const fake = torchvisionProblem("/usr/bin/false");
  assert.match(fake ?? "", /^\/usr\/bin\/false cannot import torchvision and PIL/);
});

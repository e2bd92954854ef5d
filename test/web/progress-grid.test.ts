// The dashboard's progress total (epochs from the config) and a bias study's cell grid with states.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import YAML from "yaml";
import { studyGrid, totalEpochs } from "../../web/server.js";

const root = mkdtempSync(join(tmpdir(), "facelab-grid-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("total epochs come from pretrain.epochs, train.epochs or epochs", () => {
  assert.equal(totalEpochs("pretrain:\n  epochs: 30\nevaluate:\n  finetune:\n    epochs: 9\n"), 30);
  assert.equal(totalEpochs("train:\n  epochs: 3\n"), 3);
  assert.equal(totalEpochs("epochs: 2\n"), 2);
  assert.equal(totalEpochs("name: x\n"), null);
  assert.equal(totalEpochs(": : bad yaml ["), null);
  assert.equal(totalEpochs(null), null);
});

test("a bias study's grid: done, failed, the running cell and pending ones, rows = splits", () => {
  const dir = join(root, "study");
  mkdirSync(join(dir, "done"), { recursive: true });
  const config = YAML.stringify({
    name: "g",
    data: { groups: ["a", "b"] },
    splits: { focus: "b", levels: [0.2, 0.8] },
    losses: ["softmax", "ring"],
    model: { backbone: "convnet" },
  });
  writeFileSync(
    join(dir, "status.json"),
    JSON.stringify({ kind: "study", name: "g", state: "running", pid: process.pid }),
  );
  writeFileSync(join(dir, "done", "80-20__softmax__s0.json"), "{}");
  writeFileSync(join(dir, "failed-80-20__ring__s0.txt"), "diverged\n");
  const grid = studyGrid(dir, config)!;
  assert.deepEqual(
    grid.cells.map((c) => [c.row, c.col, c.state]),
    [
      ["80/20", "softmax s0", "done"],
      ["80/20", "ring s0", "failed"],
      ["20/80", "softmax s0", "running"],
      ["20/80", "ring s0", "pending"],
    ],
  );
  assert.equal(grid.cells[1]!.detail, "diverged");
  assert.equal(studyGrid(dir, "name: not-a-study\n"), null);
});

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { defaultProgressMode, EpochProgress } from "../../src/runs/progress.js";

function sink(): { stream: Writable; text: () => string } {
  let out = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out += chunk;
      cb();
    },
  });
  return { stream, text: () => out };
}

test("json mode prints one line per epoch with mean loss and images/s from the clock", () => {
  let t = 0;
  const s = sink();
  const p = new EpochProgress({ epoch: 2, epochs: 5, total: 3, mode: "json", stream: s.stream, clock: () => t });
  for (const loss of [3, 2, 1]) {
    t += 500;
    p.tick(64, loss);
  }
  const stats = p.stop();
  assert.deepEqual(stats, { epoch: 2, batches: 3, images: 192, loss: 2, imagesPerSecond: 128, seconds: 1.5 });
  assert.deepEqual(JSON.parse(s.text()), { event: "epoch", label: "train", epochs: 5, ...stats });
});

test("quiet mode writes nothing; mode comes from FACELAB_QUIET / FACELAB_LOG", () => {
  const s = sink();
  const p = new EpochProgress({ epoch: 1, epochs: 1, total: 1, mode: "quiet", stream: s.stream });
  p.tick(1, 0.5);
  p.stop();
  assert.equal(s.text(), "");
  assert.equal(defaultProgressMode({ FACELAB_QUIET: "1" }), "quiet");
  assert.equal(defaultProgressMode({ FACELAB_LOG: "json" }), "json");
  assert.equal(defaultProgressMode({}), "bar");
});

test("bar mode draws loss, rate and ETA on a TTY-like stream", () => {
  let t = 0;
  const s = sink();
  Object.assign(s.stream, { isTTY: true, columns: 200, cursorTo() {}, clearLine() {}, moveCursor() {} });
  const p = new EpochProgress({
    epoch: 1,
    epochs: 10,
    total: 4,
    mode: "bar",
    stream: s.stream,
    clock: () => t,
    label: "pretrain",
  });
  t = 1000;
  p.tick(32, 1.23456);
  p.stop();
  assert.match(s.text(), /pretrain epoch {2}1\/10 \[.*\] 1\/4 \| loss 1\.2346 \| 32\.0 img\/s \| ETA/);
});

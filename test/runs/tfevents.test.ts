import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import sharp from "sharp";
import { Run } from "../../src/runs/run.js";
import { decodeEvent, readRecords } from "./decode-events.js";

const root = mkdtempSync(join(tmpdir(), "facelab-tb-"));
after(() => rmSync(root, { recursive: true, force: true }));

let t = 1_700_000_000_000;
const clock = (): number => t;

async function writeRun(): Promise<{ dir: string; png: Buffer }> {
  const run = await Run.create({ root, name: "tb", clock, crashHooks: false });
  run.log("train/loss", 2.5, { step: 0, epoch: 0 });
  t += 1500;
  run.log("train/loss", 1.25, { step: 300, epoch: 1 });
  run.log("val/acc", 0.8125, { step: 300, epoch: 1 });
  const png = await sharp({ create: { width: 7, height: 5, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toBuffer();
  run.image("confusion", png, { step: 300 });
  run.finish();
  return { dir: run.dir, png };
}

test("event file decodes to file_version, scalars with steps and wall times, and a PNG image", async () => {
  const { dir, png } = await writeRun();
  const files = readdirSync(dir).filter((f) => f.startsWith("events.out.tfevents."));
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^events\.out\.tfevents\.1700000000\./);
  const events = readRecords(readFileSync(join(dir, files[0]!))).map(decodeEvent);
  assert.equal(events.length, 5);
  assert.equal(events[0]!.fileVersion, "brain.Event:2");
  assert.equal(events[0]!.wallTime, 1_700_000_000);
  assert.deepEqual(
    events.slice(1, 4).map((e) => [e.step, e.values[0]!.tag, e.values[0]!.simpleValue, e.wallTime]),
    [
      [0, "train/loss", 2.5, 1_700_000_000],
      [300, "train/loss", 1.25, 1_700_000_001.5],
      [300, "val/acc", 0.8125, 1_700_000_001.5],
    ],
  );
  const img = events[4]!.values[0]!;
  assert.equal(img.tag, "confusion");
  assert.deepEqual([img.image!.width, img.image!.height, img.image!.colorspace], [7, 5, 3]);
  assert.deepEqual(Buffer.from(img.image!.png), png);
});

test("a flipped byte is caught by the record CRC", async () => {
  const { dir } = await writeRun();
  const f = readdirSync(dir).find((x) => x.startsWith("events.out"))!;
  const buf = readFileSync(join(dir, f));
  buf[buf.length - 10]! ^= 1;
  assert.throws(() => readRecords(buf), /bad data CRC/);
});

// Stock TensorBoard is the real consumer. Where Python's tensorboard is missing (Debian has no package),
// the CRCs are still checked by Python's crcmod (an independent CRC-32C) and the layout by the decoder above.
const py = "/usr/bin/python3";
// A Python with the `tensorboard` package (e.g. a venv) can be named with FACELAB_TB_PYTHON.
const tbPy = process.env.FACELAB_TB_PYTHON ?? py;
const hasModule = (m: string, python = py): boolean => spawnSync(python, ["-c", `import ${m}`]).status === 0;

const noTb = !hasModule("tensorboard", tbPy) && `python tensorboard not installed in ${tbPy} (set FACELAB_TB_PYTHON)`;
test("TensorBoard's own reader loads the scalars and the image", { skip: noTb }, async () => {
  const { dir } = await writeRun();
  const script = `
import sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1]); acc.Reload()
print([(s.step, round(s.value, 4)) for s in acc.Scalars("train/loss")])
im = acc.Images("confusion")[0]
print(im.step, im.width, im.height, len(im.encoded_image_string))`;
  const r = spawnSync(tbPy, ["-c", script, dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\[\(0, 2\.5\), \(300, 1\.25\)\]/);
  assert.match(r.stdout, /^300 7 5 \d+$/m);
});

test("record CRCs verify with Python crcmod", {
  skip: !hasModule("crcmod") && "python crcmod not installed",
}, async () => {
  const { dir } = await writeRun();
  const f = readdirSync(dir).find((x) => x.startsWith("events.out"))!;
  const script = `
import sys, struct, crcmod.predefined
crc = crcmod.predefined.mkCrcFun("crc-32c")
mask = lambda c: ((((c >> 15) | (c << 17)) & 0xffffffff) + 0xa282ead8) & 0xffffffff
b = open(sys.argv[1], "rb").read(); o = 0; n = 0
while o < len(b):
    (ln,) = struct.unpack("<Q", b[o:o+8]); (lc,) = struct.unpack("<I", b[o+8:o+12])
    assert lc == mask(crc(b[o:o+8])), "length crc"
    (dc,) = struct.unpack("<I", b[o+12+ln:o+16+ln])
    assert dc == mask(crc(b[o+12:o+12+ln])), "data crc"
    o += 16 + ln; n += 1
print(n)`;
  const r = spawnSync(py, ["-c", script, join(dir, f)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "5");
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { liveTensors, type Tensor, tensor, tidy, zeros } from "../../src/torch/index.js";
import {
  deserialize,
  loadFile,
  loadFileWithMetadata,
  readHeader,
  saveFile,
  serialize,
} from "../../src/torch/safetensors.js";

const PY = "/usr/bin/python3";
const HELPER = fileURLToPath(new URL("./safetensors_io.py", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "facelab-st-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The same tensors as sample() in safetensors_io.py, with their values as doubles. */
const EXPECTED: Record<string, { dtype: string; shape: number[]; values: number[] }> = {
  f64: { dtype: "F64", shape: [2, 2], values: [1.5, -2.25, 1e-300, 3] },
  f32: { dtype: "F32", shape: [2, 3], values: [0, 0.25, 0.5, 0.75, 1, 1.25] },
  f16: { dtype: "F16", shape: [3], values: [0.5, -1, 65504] },
  bf16: { dtype: "BF16", shape: [3], values: [1, -3, 0.0078125] },
  i64: { dtype: "I64", shape: [2], values: [-(2 ** 40), 7] },
  i32: { dtype: "I32", shape: [2, 1], values: [-5, 6] },
  u8: { dtype: "U8", shape: [3], values: [0, 255, 17] },
  bool: { dtype: "BOOL", shape: [3], values: [1, 0, 1] },
  scalar: { dtype: "F32", shape: [], values: [2.5] },
  empty: { dtype: "F32", shape: [0, 3], values: [] },
};

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    [
      "f64",
      tensor(
        [
          [1.5, -2.25],
          [1e-300, 3],
        ],
        { dtype: "float64" },
      ),
    ],
    [
      "f32",
      tensor([
        [0, 0.25, 0.5],
        [0.75, 1, 1.25],
      ]),
    ],
    ["f16", tensor([0.5, -1, 65504]).to("float16")],
    ["bf16", tensor([1, -3, 0.0078125]).to("bfloat16")],
    ["i64", tensor([-(2 ** 40), 7], { dtype: "int64" })],
    ["i32", tensor([[-5], [6]], { dtype: "int32" })],
    ["u8", tensor([0, 255, 17], { dtype: "uint8" })],
    ["bool", tensor([true, false, true])],
    ["scalar", tensor(2.5)],
    ["empty", zeros([0, 3])],
  ]);
}

const ST_DTYPE: Record<string, string> = {
  float64: "F64",
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};

function checkAgainstExpected(tensors: Map<string, Tensor>): void {
  assert.deepEqual([...tensors.keys()].sort(), Object.keys(EXPECTED).sort());
  for (const [name, t] of tensors) {
    const e = EXPECTED[name];
    assert.ok(e);
    assert.equal(ST_DTYPE[t.dtype], e.dtype, `${name} dtype`);
    assert.deepEqual(t.shape, e.shape, `${name} shape`);
    assert.deepEqual(
      tidy(() => t.double().toNumbers()),
      e.values,
      `${name} values`,
    );
  }
}

describe("safetensors", () => {
  it("round-trips every dtype, shape and the metadata", () => {
    const before = liveTensors();
    tidy(() => {
      const path = join(dir, "round.safetensors");
      saveFile(sample(), path, { format: "pt", note: "ünïcode ok" });
      const { tensors, metadata } = loadFileWithMetadata(path);
      checkAgainstExpected(tensors);
      assert.deepEqual(metadata, { format: "pt", note: "ünïcode ok" });
      // The header is padded to 8 bytes and the large elements come first (aligned data).
      const n = Number(readFileSync(path).readBigUInt64LE(0));
      assert.equal(n % 8, 0);
      assert.deepEqual(
        readHeader(path).tensors.find((x) => x.name === "bf16"),
        { name: "bf16", dtype: "bfloat16", shape: [3] },
      );
      // Buffers round-trip too, and non-contiguous inputs are written in row-major order.
      const t = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).t();
      const back = deserialize(serialize({ t })).tensors.get("t") as Tensor;
      assert.deepEqual(back.toArray(), [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
    });
    assert.equal(liveTensors(), before);
  });

  it("PyTorch (an independent struct/json reader) reads what facelab writes", () => {
    tidy(() => {
      const path = join(dir, "for-python.safetensors");
      saveFile(sample(), path, { format: "pt" });
      const out = JSON.parse(execFileSync(PY, [HELPER, "read", path], { encoding: "utf8" }));
      assert.deepEqual(out.metadata, { format: "pt" });
      assert.deepEqual(out.tensors, EXPECTED);
    });
  });

  it("facelab reads what the Python writer produces", () => {
    tidy(() => {
      const path = join(dir, "from-python.safetensors");
      execFileSync(PY, [HELPER, "sample", path]);
      const { tensors, metadata } = loadFileWithMetadata(path);
      checkAgainstExpected(tensors);
      assert.deepEqual(metadata, { format: "pt", written_by: "python" });
    });
  });

  describe("rejects corrupt files with errors naming the file and the tensor", () => {
    const good = () => tidy(() => serialize({ a: tensor([1, 2, 3]), b: tensor([4, 5]) }));
    /** Builds a file from a header object and a data section of dataLen bytes. */
    const craft = (header: unknown, dataLen: number, rawHeader?: string) => {
      const json = Buffer.from(rawHeader ?? JSON.stringify(header));
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([prefix, json, Buffer.alloc(dataLen)]);
    };
    const expectLoadError = (name: string, bytes: Uint8Array, pattern: RegExp) => {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      const before = liveTensors();
      assert.throws(
        () => loadFile(path),
        (e: Error) => {
          assert.equal(e.name, "TorchError");
          assert.ok(e.message.includes(path), `message names the file: ${e.message}`);
          assert.match(e.message, pattern);
          return true;
        },
      );
      assert.equal(liveTensors(), before, "nothing allocated by a failed load");
    };

    it("truncated data, truncated header, tiny file", () => {
      const g = good();
      expectLoadError(
        "trunc-data",
        g.subarray(0, g.length - 3),
        /tensor '(a|b)' has data_offsets \[\d+, \d+\] beyond the \d+-byte data section \(truncated file\?\)/,
      );
      expectLoadError("trunc-header", g.subarray(0, 20), /is truncated: the header needs \d+ bytes but only 12 follow/);
      // readHeader reads only the header but still checks it against the file size.
      const path = join(dir, "trunc-data.safetensors");
      assert.throws(() => readHeader(path), /beyond the \d+-byte data section/);
      writeFileSync(path, g.subarray(0, 20));
      assert.throws(() => readHeader(path), /is truncated: the header needs/);
      expectLoadError("tiny", g.subarray(0, 5), /is truncated: 5 bytes/);
      expectLoadError("empty", new Uint8Array(0), /is truncated: 0 bytes/);
    });

    it("bad header: not JSON, not an object, absurd length", () => {
      expectLoadError("not-json", craft(null, 0, "{nope"), /not valid JSON/);
      expectLoadError("array", craft(null, 0, "[1,2]"), /not a JSON object/);
      const huge = Buffer.alloc(16);
      huge.writeBigUInt64LE(2n ** 60n);
      expectLoadError("huge", huge, /header, over the 100000000-byte limit/);
    });

    it("offsets out of range, overlapping, gaps, wrong sizes, trailing bytes", () => {
      const F = (a: number, b: number, shape = [(b - a) / 4]) => ({ dtype: "F32", shape, data_offsets: [a, b] });
      expectLoadError(
        "out-of-range",
        craft({ w: F(0, 8), x: F(8, 24) }, 16),
        /tensor 'x' has data_offsets \[8, 24\] beyond the 16-byte data section/,
      );
      expectLoadError("overlap", craft({ w: F(0, 8), x: F(4, 12) }, 12), /tensor 'x' overlaps the previous tensor/);
      expectLoadError(
        "gap",
        craft({ w: F(0, 8), x: F(12, 16) }, 16),
        /tensor 'x' starts at 12, leaving a gap after byte 8/,
      );
      expectLoadError(
        "size",
        craft({ w: F(0, 8, [3]) }, 8),
        /tensor 'w': data_offsets cover 8 bytes but F32 shape \[3\] needs 12/,
      );
      expectLoadError("trailing", craft({ w: F(0, 8) }, 12), /4 trailing bytes/);
      expectLoadError(
        "reversed",
        craft({ w: F(8, 0, [0]) }, 8),
        /tensor 'w': data_offsets \[8, 0\] end before they begin/,
      );
      expectLoadError(
        "neg-shape",
        craft({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4),
        /tensor 'w': shape must be/,
      );
    });

    it("unknown dtype, missing fields, bad metadata", () => {
      expectLoadError(
        "dtype",
        craft({ w: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, 1),
        /tensor 'w': unknown or unsupported dtype 'F8_E4M3'/,
      );
      expectLoadError(
        "no-offsets",
        craft({ w: { dtype: "F32", shape: [1] } }, 4),
        /tensor 'w': data_offsets must be two/,
      );
      expectLoadError("meta", craft({ __metadata__: { a: 1 } }, 0), /metadata value 'a' must be a string/);
    });

    it("a header that is not valid UTF-8 is refused (no replacement characters), naming the file", () => {
      const json = Buffer.from('{"a\xff":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', "latin1");
      expectLoadError("bad-utf8", craft(null, 4, json.toString("latin1")).fill(0xff, 11, 12), /not valid UTF-8/);
      // an overlong encoding of "{" and a lone surrogate half are invalid too
      expectLoadError(
        "overlong",
        Buffer.concat([craft(null, 0, "xx").subarray(0, 8), Buffer.from([0xc1, 0xbb])]),
        /UTF-8/,
      );
      expectLoadError(
        "surrogate",
        Buffer.concat([craft(null, 0, "xxx").subarray(0, 8), Buffer.from([0xed, 0xa0, 0x80])]),
        /UTF-8/,
      );
    });

    it("a folder or a FIFO in place of the file is refused without blocking", () => {
      assert.throws(() => loadFile(dir), /is a folder, expected a \.safetensors file/);
      const fifo = join(dir, "fifo.safetensors");
      execFileSync("mkfifo", [fifo]);
      assert.throws(() => loadFile(fifo), /fifo\.safetensors.*not a regular file/);
      assert.throws(() => readHeader(fifo), /fifo\.safetensors.*not a regular file/);
    });

    it("a missing file is a clear error", () => {
      assert.throws(
        () => loadFile(join(dir, "nope.safetensors")),
        /safetensors file '.*nope.safetensors': could not read/,
      );
    });
  });

  describe("non-finite weights (#14)", () => {
    const path = join(dir, "nan.safetensors");
    const write = () =>
      tidy(() =>
        saveFile(
          {
            ok: tensor([1, 2]),
            nan32: tensor([1, Number.NaN]),
            inf64: tensor([Number.NEGATIVE_INFINITY], { dtype: "float64" }),
            inf16: tensor([1, Number.POSITIVE_INFINITY]).to("float16"),
            nanbf16: tensor([Number.NaN]).to("bfloat16"),
            big16: tensor([65504]).to("float16"),
            i: tensor([-1], { dtype: "int32" }),
          },
          path,
        ),
      );
    it("warn by default, naming exactly the tensors that hold NaN or Inf", () => {
      write();
      const warnings: string[] = [];
      tidy(() => {
        const t = loadFile(path, { warn: (m) => warnings.push(m) });
        assert.equal(t.size, 7);
      });
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0]?.includes(path));
      const named = /in 4 tensor\(s\): (.*)$/
        .exec(warnings[0] ?? "")?.[1]
        ?.split(", ")
        .sort();
      assert.deepEqual(named, ["inf16", "inf64", "nan32", "nanbf16"]);
    });
    it("an error with finite: 'error' or FACELAB_STRICT_FINITE=1 (what facelab --strict-finite sets)", () => {
      write();
      const before = liveTensors();
      assert.throws(() => loadFile(path, { finite: "error" }), /non-finite values .* --strict-finite/);
      process.env.FACELAB_STRICT_FINITE = "1";
      try {
        assert.throws(() => loadFile(path), /nan\.safetensors.*non-finite/);
      } finally {
        delete process.env.FACELAB_STRICT_FINITE;
      }
      assert.equal(liveTensors(), before, "refused before any tensor was made");
      tidy(() => assert.equal(loadFile(path, { finite: "ignore" }).size, 7));
    });
  });

  describe("saving", () => {
    it("validates before writing: disposed tensors, reserved and duplicate names, bad metadata", () => {
      tidy(() => {
        const t = tensor([1]);
        const d = tensor([2]);
        d.dispose();
        const path = join(dir, "invalid.safetensors");
        assert.throws(() => saveFile({ d }, path), /tensor 'd' has been disposed/);
        assert.throws(() => saveFile({ __metadata__: t }, path), /reserved/);
        assert.throws(() => saveFile({ t }, path, { n: 1 as never }), /metadata value for 'n' must be a string/);
        assert.throws(() => saveFile({ t: 3 as never }, path), /'t' is not a Tensor/);
        assert.equal(existsSync(path), false);
      });
    });

    it("a save that fails part-way leaves the old file intact and no temp file behind", () => {
      tidy(() => {
        const path = join(dir, "ckpt.safetensors");
        saveFile({ w: tensor([1, 2, 3]) }, path);
        const old = readFileSync(path);
        // A tensor whose bytes cannot be fetched makes the write fail after the header went out.
        const bad = tensor([7, 8, 9]);
        Object.defineProperty(bad, "detach", {
          value: () => {
            throw new Error("simulated I/O failure");
          },
        });
        assert.throws(() => saveFile({ w: tensor([4, 5, 6]), z: bad }, path), /simulated I\/O failure/);
        assert.deepEqual(readFileSync(path), old);
        assert.deepEqual(
          readdirSync(dir).filter((f) => f.includes("ckpt") && f.endsWith(".tmp")),
          [],
        );
        // A target that cannot be replaced (a directory) fails cleanly too.
        assert.throws(() => saveFile({ w: tensor([1]) }, dir), /could not save/);
        assert.deepEqual(
          readdirSync(dir).filter((f) => f.endsWith(".tmp")),
          [],
        );
      });
    });
  });
});

// Property-based fuzzing (fast-check) of the binary headers — IDX (plain and gzip), CIFAR-10
// batches, safetensors — and of the config merger (#14). Each property: the reader returns a
// valid result or throws its typed error (DataError / TorchError / ConfigError) naming the file;
// never another error class, and never a result larger than the file justifies. Runs are bounded
// by count and by interruptAfterTimeLimit so the suite cannot stall; seeds are fixed so a failure
// reproduces.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { constants, gzipSync } from "node:zlib";
import fc from "fast-check";
import YAML from "yaml";
import { z } from "zod";
import { readCifar10Files } from "../../src/data/cifar.js";
import { MAX_IDX_BYTES, readIdx } from "../../src/data/idx.js";
import { DataError } from "../../src/data/options.js";
import { ConfigError, deepMerge, loadConfig, parseSet } from "../../src/runs/config.js";
import { liveTensors, tidy } from "../../src/torch/index.js";
import { deserialize, parseHeader } from "../../src/torch/safetensors.js";
import { idx, safetensors } from "./corpus.js";

const dir = mkdtempSync(join(tmpdir(), "facelab-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Bounds for every property: a fixed seed, a run count, and a time limit that ends a run early. */
const params = (seed: number, numRuns = 300) => ({
  seed,
  numRuns,
  interruptAfterTimeLimit: 20_000,
  markInterruptAsFailure: false,
});

let fileNo = 0;
const file = (bytes: Uint8Array) => {
  const p = join(dir, `f${++fileNo}.bin`);
  writeFileSync(p, bytes);
  return p;
};

/** Asserts err is the expected typed error and names the file. */
function typed(err: unknown, cls: new (...a: never[]) => Error, path?: string): void {
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
  if (path !== undefined) assert.ok(err.message.includes(path), `message names ${path}: ${err.message}`);
}

// Dims near the edges: 0, 1, small, and lies up to 2^32 − 1.
const dim = fc.oneof(fc.constantFrom(0, 1, 2, 3, 28), fc.integer({ min: 0, max: 0xffffffff }));

test("IDX: any header and body (plain or gzip, strict or lenient) → a result that fits the file, or a DataError", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0x08, 0x08, 0x08, 0x09, 0x0d),
      fc.array(dim, { minLength: 0, maxLength: 5 }),
      fc.integer({ min: 0, max: 400 }),
      fc.boolean(),
      fc.boolean(),
      fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      (type, dims, body, gz, strict, expect) => {
        const raw = idx(dims, body, type);
        const bytes = gz ? gzipSync(raw) : raw;
        const p = file(bytes);
        try {
          const a = readIdx(p, expect, { strict });
          const n = a.dims.reduce((x, y) => x * y, 1);
          assert.equal(a.data.length, n, "data holds exactly the dims' records");
          assert.ok(
            a.dims.every((d) => d >= 1),
            "no degenerate dims",
          );
          assert.ok(n <= raw.length, `result ${n} bytes from a ${raw.length}-byte file`);
          // The backing store is the file or its inflated bytes, plus at most one zlib output chunk
          // (16 KiB) or Node's Buffer pool (8 KiB) for small files.
          const justified = Math.max(bytes.length, raw.length) + constants.Z_DEFAULT_CHUNK;
          assert.ok(a.data.buffer.byteLength <= justified, `${a.data.buffer.byteLength} > ${justified} bytes`);
          if (strict) assert.equal(a.declared, undefined);
        } catch (e) {
          typed(e, DataError, p);
        }
      },
    ),
    params(14),
  );
});

test("IDX: header size lies are refused before any allocation (declared bytes checked first)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 2 ** 16, max: 0xffffffff }), fc.boolean(), (n, gz) => {
      const raw = idx([n, 0xffff, 0xffff], 16);
      const p = file(gz ? gzipSync(raw) : raw);
      const before = process.memoryUsage().arrayBuffers;
      assert.throws(
        () => readIdx(p, 3, { strict: false }),
        (e: Error) => {
          typed(e, DataError, p);
          return /over the \d+-byte limit/.test(e.message) || /no whole|truncated/.test(e.message);
        },
      );
      // Nothing near the declared size was allocated (the declared size exceeds MAX_IDX_BYTES).
      assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 2 ** 20);
      assert.ok(n * 0xffff * 0xffff > MAX_IDX_BYTES);
    }),
    params(15, 100),
  );
});

test("CIFAR-10: any length and label bytes → records that fit the file, or a DataError naming it", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 * 3073 + 40 }),
      fc.uint8Array({ maxLength: 4 }),
      fc.boolean(),
      (len, labels, strict) => {
        const buf = new Uint8Array(len).fill(3);
        labels.forEach((l, i) => {
          if (i * 3073 < len) buf[i * 3073] = l;
        });
        const p = file(buf);
        try {
          const s = readCifar10Files([p], { strict });
          assert.equal(s.pixels.length, s.count * 3072);
          assert.ok(s.count <= Math.floor(len / 3073));
          assert.ok(s.items.every((it) => (it.label as number) <= 9));
          if (strict) assert.equal(s.skipped.length, 0);
        } catch (e) {
          typed(e, DataError, p);
        }
      },
    ),
    params(16),
  );
});

const DTYPES = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8", "X", ""];
const entry = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  shape: fc.array(fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(2 ** 40, 2 ** 53)), { maxLength: 3 }),
  data_offsets: fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 })),
    fc.array(fc.integer({ min: -5, max: 2 ** 40 }), { maxLength: 3 }),
  ),
});

test("safetensors: any header (entries, length prefix lies, data sizes) → tensors within the file, or a TorchError", () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("__proto__", "__metadata__")), entry, {
        maxKeys: 4,
      }),
      fc.integer({ min: 0, max: 96 }),
      fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined }),
      (header, dataLen, lie) => {
        const buf = safetensors(header, dataLen);
        if (lie !== undefined) buf.writeBigUInt64LE(lie, 0);
        const live = liveTensors();
        try {
          tidy(() => {
            const { tensors } = deserialize(buf, "fuzz.safetensors", { finite: "ignore" });
            let bytes = 0;
            for (const t of tensors.values()) bytes += t.numel ? t.contiguous().toTypedArray().byteLength : 0;
            assert.ok(bytes <= buf.length, `${bytes} tensor bytes from a ${buf.length}-byte file`);
          });
        } catch (e) {
          typed(e, Error);
          assert.equal((e as Error).name, "TorchError", (e as Error).message);
          assert.ok((e as Error).message.includes("fuzz.safetensors"));
        }
        assert.equal(liveTensors(), live, "no tensor leaks, failed or not");
      },
    ),
    params(17),
  );
});

test("safetensors: random bytes as a header → parsed entries or a TorchError, never another error", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 300 }), (bytes, n) => {
      const buf = Buffer.concat([Buffer.alloc(8), Buffer.from(bytes)]);
      buf.writeBigUInt64LE(BigInt(Math.min(n, bytes.length)));
      try {
        const { entries, dataStart } = parseHeader(buf, "random.safetensors");
        assert.ok(entries.every((e) => e.end <= buf.length - dataStart));
      } catch (e) {
        assert.equal((e as Error).name, "TorchError", (e as Error).message);
      }
    }),
    params(18, 500),
  );
});

// Config trees whose keys include the prototype keys.
const KEYS = fc.oneof(
  fc.constantFrom("a", "b", "optim", "lr", "__proto__", "constructor", "prototype"),
  fc.string({ maxLength: 4 }),
);
const { tree } = fc.letrec<{ tree: unknown }>((t) => ({
  tree: fc.oneof(
    { depthSize: "small" },
    fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null)),
    fc.array(fc.tuple(KEYS, t("tree")), { maxLength: 3 }).map((e) => Object.fromEntries(e)),
    fc.array(t("tree"), { maxLength: 2 }),
  ),
}));
const FORBIDDEN = ["__proto__", "constructor", "prototype"];
const hasForbidden = (v: unknown): boolean =>
  Array.isArray(v)
    ? v.some(hasForbidden)
    : typeof v === "object" &&
      v !== null &&
      Object.keys(v).some((k) => FORBIDDEN.includes(k) || hasForbidden((v as Record<string, unknown>)[k]));

test("config merge: prototype keys anywhere → ConfigError; otherwise merged; Object.prototype never changes", () => {
  const schema = z.record(z.string(), z.unknown());
  fc.assert(
    fc.property(
      tree,
      tree,
      fc.array(fc.tuple(fc.array(KEYS, { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 6 })), { maxLength: 2 }),
      (base, over, sets) => {
        const protoBefore = Object.getOwnPropertyNames(Object.prototype).join();
        const p = file(Buffer.from(YAML.stringify(over)));
        const setArgs = sets.map(([k, v]) => `${k.join(".")}=${v}`);
        const plainBase =
          typeof base === "object" && base !== null && !Array.isArray(base) ? (base as Record<string, unknown>) : {};
        try {
          const out = loadConfig(schema, { file: p, base: hasForbidden(plainBase) ? {} : plainBase, sets: setArgs });
          assert.equal(Object.getPrototypeOf(out), Object.prototype);
          assert.ok(!hasForbidden(over), "a prototype key in the file was accepted");
        } catch (e) {
          assert.ok(e instanceof ConfigError, `${(e as Error).name}: ${(e as Error).message}`);
        }
        try {
          deepMerge(
            plainBase,
            (typeof over === "object" && over !== null && !Array.isArray(over) ? over : {}) as Record<string, unknown>,
          );
        } catch (e) {
          assert.ok(e instanceof ConfigError);
        }
        for (const s of setArgs)
          try {
            parseSet(s);
          } catch (e) {
            assert.ok(e instanceof ConfigError);
          }
        assert.equal(Object.getOwnPropertyNames(Object.prototype).join(), protoBefore);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      },
    ),
    params(19),
  );
});

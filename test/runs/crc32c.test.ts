import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32c, maskedCrc32c } from "../../src/runs/crc32c.js";
import { crc32cBitwise, masked } from "./decode-events.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test("CRC-32C matches the RFC 3720 / iSCSI check values", () => {
  // RFC 3720 appendix B.4 and the standard check value of the Castagnoli polynomial.
  assert.equal(crc32c(ascii("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test("table CRC agrees with a bitwise CRC and the mask formula on random data", () => {
  let seed = 12345;
  for (let n = 0; n < 50; n++) {
    const bytes = Uint8Array.from({ length: n * 7 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    assert.equal(crc32c(bytes), crc32cBitwise(bytes));
    assert.equal(maskedCrc32c(bytes), masked(bytes));
  }
  // The mask is TFRecord's: rotate right by 15, add 0xA282EAD8, mod 2^32.
  const c = 0xe3069283;
  assert.equal(maskedCrc32c(ascii("123456789")), (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0);
});

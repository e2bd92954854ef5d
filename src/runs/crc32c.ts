// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's masked form.
// TFRecord framing and the mask ((crc >>> 15 | crc << 17) + 0xa282ead8) are from TensorFlow's
// "TFRecords format details" (shared/reference/libtorch-binding-and-ts-ecosystem.md §3).

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of the bytes; CRC32C("123456789") = 0xE3069283 (RFC 3720 check value). */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The masked CRC TFRecord stores, so that CRCs of data containing CRCs stay well distributed. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

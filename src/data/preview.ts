// A PNG contact sheet of image tensors: rows of (N,C,H,W) float [0,1] batches side by side,
// for looking at originals next to their augmented views.
import sharp from "sharp";
import type { Tensor } from "../torch/index.js";

/**
 * Writes a grid: rows[r] is a batch (N,C,H,W); column c of row r shows rows[r][c].
 * Images are upscaled by `zoom` (nearest) so 32 px images are visible.
 */
export async function writeGrid(path: string, rows: Tensor[], o: { zoom?: number; gap?: number } = {}): Promise<void> {
  const zoom = o.zoom ?? 1;
  const gap = o.gap ?? 2;
  if (rows.length === 0) throw new RangeError("writeGrid needs at least one row");
  const [, , H, W] = (rows[0] as Tensor).shape as [number, number, number, number];
  const cols = Math.max(...rows.map((r) => r.size(0)));
  const cw = W * zoom + gap;
  const ch = H * zoom + gap;
  const outW = cols * cw + gap;
  const outH = rows.length * ch + gap;
  const out = Buffer.alloc(outW * outH * 3, 255);
  rows.forEach((batch, r) => {
    const [N, C] = batch.shape as [number, number];
    const px = batch
      .detach()
      .cpu()
      .float()
      .clamp(0, 1)
      .mul(255)
      .round()
      .to("uint8")
      .contiguous()
      .toTypedArray() as Uint8Array;
    for (let n = 0; n < N; n++)
      for (let y = 0; y < H * zoom; y++)
        for (let x = 0; x < W * zoom; x++) {
          const sy = Math.floor(y / zoom);
          const sx = Math.floor(x / zoom);
          const o3 = ((gap + r * ch + y) * outW + gap + n * cw + x) * 3;
          for (let c = 0; c < 3; c++) out[o3 + c] = px[((n * C + (C === 1 ? 0 : c)) * H + sy) * W + sx] as number;
        }
  });
  await sharp(out, { raw: { width: outW, height: outH, channels: 3 } })
    .png()
    .toFile(path);
}

// Vega-Lite spec → SVG (vega's headless View, no canvas) → PNG (sharp's librsvg), as in
// shared/reference/libtorch-binding-and-ts-ecosystem.md §3 "Plots → SVG/PNG in Node".
import sharp from "sharp";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { VlSpec } from "./charts/common.js";

export async function specToSvg(spec: VlSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** 144 dpi (2× the SVG's CSS pixels) keeps 11-px axis labels sharp in the PNG. */
export async function svgToPng(svg: string, density = 144): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}

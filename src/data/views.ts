// Turns split entries (item + augmentation seed) into image tensors: the imbalance study's K
// training copies and its test copies are regenerated on demand from their seeds with the batched
// face augmentation, so they never have to be stored.
import { callOp, type Device, fromTypedArray, type Tensor, tensor, tidy } from "../torch/index.js";
import { type AugmentConfig, augment, evalTransform, toFloatImages } from "./augment/pipelines.js";
import type { ImageSet } from "./imageset.js";
import type { ViewEntry } from "./imbalance.js";

/** float (N,C,size,size) for the entries: originals via the eval transform, others augmented by their seed. */
export async function renderViews(
  set: ImageSet,
  entries: readonly ViewEntry[],
  cfg: AugmentConfig,
  device: Device = "cpu",
): Promise<Tensor> {
  const px = await set.read(entries.map((e) => e.item));
  return tidy(() => {
    const x = toFloatImages(fromTypedArray(px, [entries.length, set.height, set.width, set.channels], { device }));
    let out = evalTransform(x, { size: cfg.size, normalize: cfg.normalize });
    const aug = entries.flatMap((e, i) => (e.augSeed === null ? [] : [i]));
    if (aug.length === 0) return out;
    const idx = tensor(aug, { dtype: "int64", device });
    const views = augment(x.indexSelect(0, idx), cfg, { seeds: aug.map((i) => entries[i]?.augSeed as number) });
    out = callOp<Tensor>("index_copy", out, 0, idx, views);
    return out;
  });
}

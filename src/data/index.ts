// facelab/data: format readers, the uint8 image cache, splits, batched augmentation
// and synthetic faces.
export * as augmentation from "./augment/index.js";
export * from "./cache.js";
export * from "./celeba.js";
export * from "./cifar.js";
export * from "./folder.js";
export * from "./idx.js";
export * from "./imageset.js";
export * from "./open.js";
export * from "./options.js";
export * from "./preview.js";
export * from "./rng.js";
export * from "./splits.js";
export * from "./synth.js";
export * from "./utkface.js";

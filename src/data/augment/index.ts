// Batched, seeded augmentation on the training device.
export * from "./color.js";
export * from "./filters.js";
export * from "./fused.js";
export * from "./geometry.js";
export * from "./jitter.js";
export * from "./pipelines.js";
export * from "./simclr.js";

// facelab/torch/nn: modules, layers and initialisers (torch.nn). The functional set is F.
export * from "./batchnorm.js";
export * from "./container.js";
export * from "./conv.js";
export * as functional from "./functional.js";
export * as init from "./init.js";
export * from "./layers.js";
export { type AnyModule, type LoadResult, Module, type ToTarget } from "./module.js";

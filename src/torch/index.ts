// facelab/torch: LibTorch from TypeScript. Knows nothing about faces.
export * from "./autograd.js";
export { CheckpointDir } from "./checkpoints.js";
export * from "./creation.js";
export { callOp, schemaOf } from "./dispatch.js";
export * as distributed from "./distributed/index.js";
export * from "./dtype.js";
export { TorchError } from "./errors.js";
/** One typed function per listed aten overload (generated; see scripts/gen-ops/lists.ts). */
export * as aten from "./generated/aten.js";
export * as F from "./nn/functional.js";
export * as nn from "./nn/index.js";
export * from "./ops.js";
export * as optim from "./optim/index.js";
export * from "./runtime.js";
export * as safetensors from "./safetensors.js";
export { keep, moveToOuter, scope, tidy } from "./scope.js";
export {
  type FlatState,
  flattenOptimizerState,
  loadModule,
  saveModule,
  unflattenOptimizerState,
} from "./serialization.js";
export { type Device, type NestedArray, Tensor, type TensorOrScalar } from "./tensor.js";

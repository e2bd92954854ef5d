// facelab/eval: metrics over predictions, groups, scores and features. Mostly plain TypeScript on
// Float64Array/number[] (tensors accepted where convenient); arrays out.
export * from "./arrays.js";
export * from "./bootstrap.js";
export * from "./calibration.js";
export * from "./classification.js";
export * from "./group-bootstrap.js";
export * from "./groups.js";
export * from "./knn.js";
export * from "./multiplicity.js";
export * from "./openset.js";
export * from "./stats.js";
export * from "./verification.js";
export * from "./verification-ci.js";

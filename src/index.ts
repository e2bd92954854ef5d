// facelab: the package root. Each layer is also an entry point of its own — facelab/torch,
// facelab/models, facelab/losses, facelab/data, facelab/methods, facelab/eval — and everything
// else in src/ is internal (package.json "exports" lists exactly these).
export * as data from "./data/index.js";
export * as evaluation from "./eval/index.js";
export * as losses from "./losses/index.js";
export * as methods from "./methods/index.js";
export * as models from "./models/index.js";
export * as torch from "./torch/index.js";

// facelab/models: network architectures with torchvision-compatible parameter names.
export * from "./backbones.js";
export * from "./export.js";
export * from "./facerec.js";
export * from "./heads.js";
export * from "./resnet.js";

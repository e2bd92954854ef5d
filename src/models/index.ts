// facelab/models: network architectures with torchvision-compatible parameter names.
export * from "./resnet.js";

// facelab/methods: training methods (SimCLR pretraining, supervised / linear probe / fine-tune,
// face recognition with a margin head) and the evaluation suite that runs them.
export * from "./evaluate.js";
export * from "./features.js";
export * from "./guards.js";
export * from "./logistic.js";
export * from "./monitors.js";
export * from "./pretrain.js";
export * from "./recognition/recognizer.js";
export * from "./recognition/train.js";
export * from "./simclr-config.js";
export * from "./supervised.js";
export * from "./views.js";

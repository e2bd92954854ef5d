// facelab/methods: the one Trainer and the methods on it (SimCLR and BYOL pretraining, supervised /
// linear probe / fine-tune, face recognition with a margin head), the method registry, checkpoints
// for resume, and the evaluation suite that runs them.
export * from "./byol.js";
export * from "./checkpoint.js";
export * from "./compute.js";
export * from "./evaluate.js";
export * from "./evaluate-finetune.js";
export * from "./evaluate-knn.js";
export * from "./features.js";
export * from "./guards.js";
export * from "./logistic.js";
export * from "./monitors.js";
export * from "./online-eval.js";
export * from "./pretrain.js";
export * from "./recognition/recognizer.js";
export * from "./recognition/train.js";
export * from "./registry.js";
export * from "./simclr.js";
export * from "./simclr-config.js";
export * from "./supervised.js";
export * from "./trainer.js";
export * from "./views.js";

// facelab/torch/optim: optimizers, learning-rate schedules, gradient clipping.
export { AdamW, type AdamWOptions } from "./adamw.js";
export { clipGradNorm, clipGradValue } from "./clip.js";
export { isBatchNormOrBias, LARS, type LARSOptions, type ParamPredicate } from "./lars.js";
export {
  LambdaLR,
  LRScheduler,
  type LrScaling,
  MultiStepLR,
  type SchedulerStateDict,
  StepLR,
  scaleLearningRate,
  simclrSteps,
  WarmupCosineLR,
  warmupCosineFactor,
} from "./lr_scheduler.js";
export {
  Optimizer,
  type OptimizerStateDict,
  type ParamEntry,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamsInput,
} from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";

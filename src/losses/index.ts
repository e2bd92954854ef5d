// facelab/losses: pure loss functions over Tensors (and, in modules.ts, heads that own parameters).
export { byolLoss } from "./byol.js";
export { checkHeadInputs, cosineLogits, type LossOutput } from "./common.js";
export {
  createHead,
  HEAD_NAMES,
  HEADS,
  type HeadName,
  type LossConfig,
  type LossConfigInput,
  LossConfigSchema,
  parseLossConfig,
} from "./config.js";
export { LOSS_DEFAULTS } from "./defaults.js";
export {
  ArcFaceHead,
  ClassifierHead,
  CosFaceHead,
  type HeadFactoryOptions,
  RingLoss,
  RingSoftmaxHead,
  ScaledCosineHead,
  SoftmaxHead,
  SphereFaceHead,
  SphereFaceRHead,
} from "./heads.js";
export {
  type ArcFaceOptions,
  arcFaceLoss,
  type CosFaceOptions,
  cosFaceLoss,
  crossEntropyLoss,
  MARGIN_SCALE,
  type SoftmaxOptions,
  softmaxLoss,
} from "./margins.js";
export { type NtXentGlobalBatch, type NtXentOptions, type NtXentOutput, ntXent, ntXentWithLogits } from "./ntxent.js";
export { meanFeatureNorm, type RingLossOptions, type RingLossType, ringLoss } from "./ring.js";
export {
  angleInterval,
  aSoftmaxPsi,
  chebyshevCos,
  SPHEREFACE_LAMBDA_DEFAULTS,
  SPHEREFACE_R_SCALE,
  type SphereFaceLambdaSchedule,
  type SphereFaceOptions,
  type SphereFaceROptions,
  sphereFaceLambda,
  sphereFaceLoss,
  sphereFaceRLoss,
} from "./sphereface.js";

// facelab/torch/distributed: multi-process data-parallel training on c10d (issue 7).
export { bucketIndices, type DdpOptions, DistributedDataParallel, type HasParameters, makeBuckets } from "./ddp.js";
export { allGatherCat, allGatherWithGrad, allReduceWithGrad, type GatherOptions } from "./gather.js";
export { globalMean, isMainProcess, type MetricOp, rankZeroLog, rankZeroOnly, reduceMetrics } from "./helpers.js";
export {
  availableBackends,
  type Backend,
  destroyProcessGroup,
  getDefaultGroup,
  getLocalRank,
  getRank,
  getWorldSize,
  type InitOptions,
  initProcessGroup,
  isInitialized,
  isLaunched,
  newGroup,
  ProcessGroup,
  type ReduceOp,
  resolveGroup,
} from "./process-group.js";
export { DistributedSampler, type SamplerOptions } from "./sampler.js";
export {
  convertSyncBatchNorm,
  revertSyncBatchNorm,
  SyncBatchNorm,
  type SyncBatchNormModuleOptions,
  type SyncBatchNormOptions,
  syncBatchNorm,
} from "./sync-batchnorm.js";

// facelab/runs: run directories, configs, TensorBoard events, checkpoints, progress.
export { CheckpointDir } from "../torch/checkpoints.js";
export { applySet, ConfigError, configToYaml, type LoadConfigOptions, loadConfig, parseSet } from "./config.js";
export { crc32c, maskedCrc32c } from "./crc32c.js";
export { collectEnv, type RunEnv } from "./env.js";
export {
  defaultProgressMode,
  EpochProgress,
  type EpochProgressOptions,
  type EpochStats,
  type ProgressMode,
} from "./progress.js";
export {
  type ChartDescriptor,
  createUniqueDir,
  type MetricRecord,
  pngSize,
  Run,
  type RunOptions,
  type RunState,
  type RunStatus,
} from "./run.js";
export { listRuns, type RunEntry, readMetrics, readRun } from "./scan.js";
export { EventWriter, tfrecord } from "./tfevents.js";

// Where and how a run computes — the settings every run config shares (simclr run, train,
// bias-study): spread `computeFields` into a schema, call `setupCompute(cfg)` (src/torch/device.ts)
// before the run creates anything, and hand the result to the Trainer.
import { z } from "zod";
import { PRECISIONS } from "../torch/autocast.js";
import { MEMORY_FORMATS } from "../torch/device.js";

export const computeFields = {
  /** "cpu", "cuda" (under `facelab launch`: this worker's GPU) or "cuda:N" */
  device: z.string().default("cpu"),
  /** autocast for the forward pass: bf16 (CPU or CUDA) or fp16 (CUDA, gradient scaler); losses in fp32 */
  precision: z.enum(PRECISIONS).default("fp32"),
  /** channels_last: NHWC strides for the ResNets' weights and batches (tensor cores; faster on CPU too) */
  memoryFormat: z.enum(MEMORY_FORMATS).default("contiguous"),
  /** torch.use_deterministic_algorithms: ops without a deterministic kernel raise */
  deterministic: z.boolean().default(false),
  /** torch.backends.cudnn.benchmark: cuDNN times convolution algorithms per input shape */
  cudnnBenchmark: z.boolean().default(false),
};

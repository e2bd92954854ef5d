// The shared compute settings of run configs: defaults, and bad values rejected by the schema.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { computeFields } from "../../src/methods/compute.js";
import { setupCompute } from "../../src/torch/device.js";

const schema = z.strictObject({ ...computeFields });

test("compute settings default to cpu, fp32, contiguous, flags off, and feed setupCompute", () => {
  const cfg = schema.parse({});
  assert.deepEqual(cfg, {
    device: "cpu",
    precision: "fp32",
    memoryFormat: "contiguous",
    deterministic: false,
    cudnnBenchmark: false,
  });
  assert.deepEqual(setupCompute(cfg), cfg);
  assert.throws(() => schema.parse({ precision: "half" }));
  assert.throws(() => schema.parse({ memoryFormat: "nhwc" }));
});

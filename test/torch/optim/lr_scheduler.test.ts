import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SGD } from "../../../src/torch/optim/index.js";
import {
  LambdaLR,
  MultiStepLR,
  StepLR,
  scaleLearningRate,
  simclrSteps,
  WarmupCosineLR,
} from "../../../src/torch/optim/lr_scheduler.js";
import { makeParams } from "./helpers.js";

function withOptimizer(fn: (opt: SGD) => void, lrs = [1, 0.1]): void {
  const [w, b] = makeParams();
  const opt = new SGD(
    [
      { params: [w], lr: lrs[0] },
      { params: [b], lr: lrs[1] },
    ],
    { lr: 1 },
  );
  try {
    fn(opt);
  } finally {
    opt.dispose();
    w.dispose();
    b.dispose();
  }
}

const close = (a: number, e: number, what: string) =>
  assert.ok(Math.abs(a - e) < 1e-12, `${what}: got ${a}, expected ${e}`);

describe("learning-rate schedules", () => {
  it("warmup + cosine: 0 at step 0, linear to the peak, half-way down at mid-decay, 0 at the end", () => {
    withOptimizer((opt) => {
      const s = new WarmupCosineLR(opt, { warmupSteps: 10, totalSteps: 110 });
      const at: Record<number, number> = {};
      for (let k = 0; k <= 120; k++) {
        at[k] = opt.paramGroups[0]?.lr as number;
        s.step();
      }
      // Hand values: step/10 in warmup; then 0.5·(1 + cos(π·(step−10)/100)).
      close(at[0] as number, 0, "step 0");
      close(at[5] as number, 0.5, "step 5");
      close(at[10] as number, 1, "step 10");
      close(at[35] as number, 0.5 * (1 + Math.SQRT1_2), "step 35");
      close(at[60] as number, 0.5, "step 60");
      close(at[110] as number, 0, "step 110");
      close(at[120] as number, 0, "after the end");
      close(s.getLastLr()[1] as number, 0, "second group");
      assert.deepEqual(s.lrAt(5), [0.5, 0.05]);
    });
  });

  it("warmup + cosine with a floor ends at minFactor·base", () => {
    withOptimizer((opt) => {
      const s = new WarmupCosineLR(opt, { warmupSteps: 0, totalSteps: 10, minFactor: 0.1 });
      close(s.lrAt(0)[0] as number, 1, "start");
      close(s.lrAt(5)[0] as number, 0.55, "middle");
      close(s.lrAt(10)[0] as number, 0.1, "end");
    });
  });

  it("step and multi-step decay", () => {
    withOptimizer((opt) => {
      const s = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
      close(s.lrAt(29)[0] as number, 1, "29");
      close(s.lrAt(30)[0] as number, 0.1, "30");
      close(s.lrAt(65)[1] as number, 0.001, "65, group 1");
    });
    withOptimizer((opt) => {
      const s = new MultiStepLR(opt, { milestones: [3, 7], gamma: 0.5 });
      assert.deepEqual(
        [0, 2, 3, 6, 7, 100].map((k) => s.lrAt(k)[0]),
        [1, 1, 0.5, 0.5, 0.25, 0.25],
      );
    });
  });

  it("state dict restores the position", () => {
    const warmup = (step: number) => Math.min(step / 10, 1);
    withOptimizer((opt) => {
      const s = new WarmupCosineLR(opt, { warmupSteps: 10, totalSteps: 110 });
      for (let k = 0; k < 7; k++) s.step();
      const sd = s.stateDict();
      assert.deepEqual(sd, { lastStep: 7, baseLrs: [1, 0.1] });
      withOptimizer((opt2) => {
        const s2 = new LambdaLR(opt2, (step) => warmup(step));
        s2.loadStateDict(sd);
        close(opt2.paramGroups[0]?.lr as number, 0.7, "restored lr");
        assert.throws(() => s2.loadStateDict({ lastStep: -1, baseLrs: [1, 1] }), /lastStep/);
      });
    });
  });

  it("rejects inconsistent arguments", () => {
    withOptimizer((opt) => {
      assert.throws(() => new WarmupCosineLR(opt, { warmupSteps: 20, totalSteps: 10 }), /exceeds totalSteps/);
      assert.throws(() => new StepLR(opt, { stepSize: 0 }), /stepSize must be an integer ≥ 1/);
    });
  });
});

describe("SimCLR learning-rate scaling and step counts", () => {
  it("linear 0.3·B/256 and square-root 0.075·√B", () => {
    close(scaleLearningRate(4096, "linear"), 4.8, "linear 4096");
    close(scaleLearningRate(4096, "sqrt"), 4.8, "sqrt 4096");
    close(scaleLearningRate(256, "linear"), 0.3, "linear 256");
    close(scaleLearningRate(256, "sqrt"), 1.2, "sqrt 256");
    close(scaleLearningRate(1024, "sqrt", 0.005), 0.16, "google fine-tune recipe: 0.005·√1024");
    assert.throws(() => scaleLearningRate(0, "linear"), /batchSize/);
    assert.throws(() => scaleLearningRate(64, "cubic" as never), /unknown learning-rate scaling/);
  });

  it("step counts follow google's run.py arithmetic", () => {
    // CIFAR-10: 50,000 images, batch 512, 100 epochs, 10 warmup epochs.
    assert.deepEqual(simclrSteps({ numExamples: 50000, batchSize: 512, epochs: 100, warmupEpochs: 10 }), {
      warmupSteps: 976,
      totalSteps: 9766,
    });
  });
});

// A 1,000-step training loop of a tiny conv net with plain SGD written inline: the live-tensor
// count must stay flat step after step, RSS must stay bounded, and the loss must fall.
// The loop yields to the event loop every 50 steps, as a loop fed by an async data loader does.
// dispose() frees all of a handle's native memory at once (test/torch/handle.test.ts), so RSS stays
// bounded whether or not V8 collects the disposed handles in between.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  F,
  liveTensors,
  mallocTrim,
  manualSeed,
  nn,
  noGrad,
  randint,
  randn,
  type Tensor,
  tidy,
} from "../../src/torch/index.js";
import { leakCheckEachTest } from "./helpers.js";

leakCheckEachTest();

/** Two classes of 8×8 images: class 1 has a bright 3×3 patch in the top-left corner. */
function batch(n: number): { x: Tensor; y: Tensor } {
  return tidy(() => {
    const y = randint(0, 2, [n]);
    const patch = y.to("float32").view(n, 1, 1, 1).mul(1.5);
    const x = randn([n, 1, 8, 8]).mul(0.5);
    const corner = x.slice(2, 0, 3).slice(3, 0, 3);
    noGrad(() => corner.add_(patch));
    return { x, y };
  });
}

test("1,000 SGD steps keep liveTensors flat and RSS bounded while the loss falls", async () => {
  manualSeed(0);
  using net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(4 * 4 * 4, 16),
    new nn.Dropout(0.1),
    new nn.PReLU(),
    new nn.Linear(16, 2),
  );
  const params = net.parameters();
  const lr = 0.05;
  const steps = 1000;
  const losses: number[] = [];
  let liveAfterFirst = -1;
  let rssWarm = 0;
  for (let step = 0; step < steps; step++) {
    if (step % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    const loss = tidy(() => {
      const { x, y } = batch(32);
      const l = F.crossEntropy(net.call(x), y, { labelSmoothing: 0.05 });
      l.backward();
      noGrad(() => {
        for (const p of params) {
          const g = p.grad;
          if (g !== null) p.sub_(g.mul(lr));
        }
      });
      net.zeroGrad();
      return l.item();
    });
    losses.push(loss);
    if (step === 0) liveAfterFirst = liveTensors();
    else assert.equal(liveTensors(), liveAfterFirst, `live tensors changed at step ${step}`);
    if (step === 199) {
      mallocTrim();
      rssWarm = process.memoryUsage().rss;
    }
  }
  await new Promise((resolve) => setImmediate(resolve));
  mallocTrim();
  const growthMiB = (process.memoryUsage().rss - rssWarm) / 2 ** 20;
  // Leaking one per-step activation (32×4×8×8 floats = 32 KiB) for 800 steps would add 25 MiB;
  // measured growth with nothing leaked is 2–3 MiB of allocator noise.
  assert.ok(growthMiB < 8, `RSS grew by ${growthMiB.toFixed(1)} MiB between step 200 and step ${steps}`);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const first = mean(losses.slice(0, 50));
  const last = mean(losses.slice(-50));
  assert.ok(last < 0.5 * first, `loss should fall: first 50 steps ${first.toFixed(3)}, last 50 ${last.toFixed(3)}`);
  net.eval();
  const acc = tidy(() => {
    const { x, y } = batch(512);
    return net.call(x).argmax(1).eq(y).to("float32").mean().item();
  });
  assert.ok(acc > 0.95, `held-out accuracy ${acc} (chance is 0.5)`);
});

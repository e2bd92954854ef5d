// A small supervised run of the engine end to end: a ResNet-18 (CIFAR stem, narrow) trained on a
// Fashion-MNIST subset with SGD + cosine LR, evaluated on the test split, written as a run
// directory (metrics, TensorBoard, loss/accuracy curves, confusion matrix, summary.json).
// The demo's first stage; also `facelab demo --only engine`.
import { readFashionMnist } from "../../data/idx.js";
import { Rng } from "../../data/rng.js";
import { confusionMatrix } from "../../eval/index.js";
import { resnet18 } from "../../models/index.js";
import { EpochProgress, Run } from "../../runs/index.js";
import { F, fromTypedArray, manualSeed, noGrad, type Tensor, tidy } from "../../torch/index.js";
import { SGD } from "../../torch/optim/index.js";

export interface FmnistSupervisedOptions {
  runsRoot: string;
  trainImages?: number;
  testImages?: number;
  epochs?: number;
  batchSize?: number;
  width?: number;
  seed?: number;
}

export interface FmnistSupervisedResult {
  dir: string;
  testAccuracy: number;
}

function batchOf(pixels: Uint8Array, labels: Int32Array, idx: ArrayLike<number>): [Tensor, Tensor] {
  const per = 28 * 28;
  const x = new Uint8Array(idx.length * per);
  const y = new BigInt64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i] as number;
    x.set(pixels.subarray(k * per, (k + 1) * per), i * per);
    y[i] = BigInt(labels[k] as number);
  }
  // Normalise with Fashion-MNIST's mean/std (0.286, 0.353) so the first layer sees unit-scale inputs.
  const xt = tidy(() => fromTypedArray(x, [idx.length, 1, 28, 28]).float().div(255).sub(0.286).div(0.353));
  return [xt, fromTypedArray(y, [idx.length])];
}

export async function runFmnistSupervised(o: FmnistSupervisedOptions): Promise<FmnistSupervisedResult> {
  const cfg = { trainImages: 6000, testImages: 2000, epochs: 3, batchSize: 128, width: 0.5, seed: 0, ...o };
  manualSeed(cfg.seed);
  const train = readFashionMnist("train", { limit: cfg.trainImages });
  const test = readFashionMnist("test", { limit: cfg.testImages });
  const classes = [...(train.classes ?? [])];
  const trainLabels = Int32Array.from(train.items, (it) => Number(it.label));
  const testLabels = Int32Array.from(test.items, (it) => Number(it.label));
  const run = await Run.create({ root: cfg.runsRoot, name: "fmnist-supervised", config: cfg, naming: "plain" });
  return run.execute(async () => {
    const model = resnet18({ numClasses: 10, inChannels: 1, cifarStem: true, widthMultiplier: cfg.width });
    const opt = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true });
    const stepsPerEpoch = Math.floor(train.count / cfg.batchSize);
    const total = stepsPerEpoch * cfg.epochs;
    const rng = new Rng(cfg.seed);
    const lossCurve: { x: number; y: number; series: string }[] = [];
    const accCurve: { x: number; y: number; series: string }[] = [];
    let step = 0;
    let matrix: number[][] = [];
    let accuracy = 0;
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      model.train();
      const order = rng.permutation(train.count);
      const bar = new EpochProgress({ epoch, epochs: cfg.epochs, total: stepsPerEpoch, label: "fmnist" });
      for (let b = 0; b < stepsPerEpoch; b++) {
        const idx = order.subarray(b * cfg.batchSize, (b + 1) * cfg.batchSize);
        const loss = tidy(() => {
          const [x, y] = batchOf(train.pixels, trainLabels, idx);
          const l = F.crossEntropy(model.call(x), y);
          opt.zeroGrad();
          l.backward();
          for (const g of opt.paramGroups) g.lr = 0.1 * 0.5 * (1 + Math.cos((Math.PI * step) / total));
          opt.step();
          return l.item();
        });
        bar.tick(idx.length, loss);
        run.log("train/loss", loss, { step, epoch });
        lossCurve.push({ x: step, y: loss, series: "train" });
        step++;
      }
      bar.stop();
      // Evaluation: eval-mode BN, no autograd.
      model.eval();
      const preds = new Int32Array(test.count);
      for (let s = 0; s < test.count; s += 500) {
        const idx = Int32Array.from({ length: Math.min(500, test.count - s) }, (_, i) => s + i);
        tidy(() =>
          noGrad(() => {
            const [x] = batchOf(test.pixels, testLabels, idx);
            preds.set(Int32Array.from(model.call(x).argmax(1).toNumbers()), s);
          }),
        );
      }
      matrix = confusionMatrix(testLabels, preds, 10);
      accuracy = preds.reduce((a, p, i) => a + (p === testLabels[i] ? 1 : 0), 0) / test.count;
      run.log("test/accuracy", accuracy, { step, epoch });
      accCurve.push({ x: epoch, y: accuracy, series: "test" });
    }
    run.chart({
      kind: "loss",
      title: "ResNet-18 on Fashion-MNIST: training loss",
      data: lossCurve,
      yTitle: "cross-entropy (nats)",
    });
    run.chart({ kind: "accuracy", title: "Test accuracy per epoch", data: accCurve });
    run.chart({ kind: "confusion", title: "Confusion matrix (test)", data: { classes, matrix } });
    run.finish({ test_accuracy: accuracy, train_images: train.count, test_images: test.count, epochs: cfg.epochs });
    model.dispose();
    opt.dispose();
    return { dir: run.dir, testAccuracy: accuracy };
  });
}

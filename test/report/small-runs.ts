// Three small real runs for the page tests: a SimCLR run (synthetic faces, gender and race, two
// evaluation repeats so the headline has intervals), a `facelab train` run (Fashion-MNIST subset, Ring
// loss; synthetic faces when the dataset is absent) and a bias study (2 splits × 2 losses, a planted
// effect). Minutes of CPU together; FACELAB_E2E_RUNS=<dir> keeps them in <dir> and reuses them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FASHION_MNIST_DIR } from "../../src/data/idx.js";
import { SimclrConfigSchema } from "../../src/methods/simclr-config.js";
import { loadConfig } from "../../src/runs/index.js";
import { parseBiasConfig } from "../../src/studies/bias/config.js";
import { plantedPairData } from "../../src/studies/bias/demo.js";
import { runBiasStudy } from "../../src/studies/bias/grid.js";
import { runSimclrStudy } from "../../src/studies/simclr/study.js";
import { runTraining, trainConfigSchema } from "../../src/studies/supervised/recipe.js";

export interface SmallRuns {
  simclr: string;
  train: string;
  bias: string;
}

const TINY_SIMCLR = [
  "name=simclr-small",
  "data.syntheticCount=240",
  "data.imageSize=16",
  "model.width=8",
  "head.out=16",
  "pretrain.epochs=2",
  "pretrain.batchSize=48",
  "pretrain.warmupEpochs=1",
  "pretrain.monitor.bankSize=60",
  "pretrain.monitor.querySize=60",
  "evaluate.repeats=2",
  "evaluate.labelFractions=[0.5]",
  "evaluate.linearProbe.epochs=2",
  "evaluate.finetune.epochs=1",
  "evaluate.scratch.epochs=1",
  "evaluate.finetune.guards=false",
  "evaluate.scratch.guards=false",
  "evaluate.finetune.minSteps=0",
  "evaluate.scratch.minSteps=0",
];

export async function makeSmallRuns(root: string): Promise<SmallRuns> {
  const index = join(root, "small-runs.json");
  if (existsSync(index)) return JSON.parse(readFileSync(index, "utf8")) as SmallRuns;
  mkdirSync(root, { recursive: true });
  process.env.FACELAB_CACHE ??= join(root, "cache");
  const quiet = () => {};
  const simclr = await runSimclrStudy(
    loadConfig(SimclrConfigSchema, { file: "configs/simclr-faces-synthetic.yaml", sets: TINY_SIMCLR }),
    { runsRoot: root, naming: "plain", log: quiet },
  );
  const fmnist = existsSync(join(FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz"));
  const train = await runTraining(
    trainConfigSchema.parse({
      name: "train-small",
      data: fmnist
        ? { dataset: "fashion-mnist", trainLimit: 600, testLimit: 300 }
        : { dataset: "synthetic-faces", identities: 10, imagesPerIdentity: 8, imageSize: 24 },
      model: { backbone: "convnet", width: 8, embeddingDim: 32 },
      loss: { name: "ring" },
      train: { epochs: 2, batchSize: 64, lr: 0.05, warmupEpochs: 0.5, augment: false },
      expect: { minAccuracy: 0.5, source: "small-run bar" },
    }),
    { runsRoot: root },
  );
  const bias = join(root, "bias-small");
  await runBiasStudy(
    parseBiasConfig({
      name: "bias-small",
      data: plantedPairData(["a", "b"], 0.8, { imageSize: 24, identities: 40, copies: 6, unseen: 40 }),
      splits: { focus: "b", levels: [0.3, 0.7] },
      losses: ["softmax", "ring"],
      seeds: [0],
      model: { backbone: "convnet", width: 8, embeddingDim: 32 },
      train: { epochs: 4, batchSize: 32, lr: 0.05, warmupEpochs: 1 },
      eval: { bootstrap: 300, minGroupSamples: 20 },
    }),
    { dir: bias, log: quiet },
  );
  const runs = { simclr: simclr.dir, train: train.dir, bias };
  writeFileSync(index, JSON.stringify(runs));
  return runs;
}

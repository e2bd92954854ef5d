// The Trainer tests' shared setup: a 3-class softmax recognizer (convnet, width 4) on n random 8×8
// images, trained for two epochs with the caller's options; every step's stats are recorded.
import { createRecognizer, type Recognizer } from "../../src/methods/recognition/recognizer.js";
import { type StepStats, type TrainOptions, trainRecognizer } from "../../src/methods/recognition/train.js";
import { manualSeed, randint, randn, type Tensor, tidy } from "../../src/torch/index.js";

/** Trains the tiny recognizer (data seed 2, weights seed 0); the caller disposes the model. */
export async function trainTinyRecognizer(
  n: number,
  o: Omit<TrainOptions, "epochs" | "onStep">,
): Promise<{ model: Recognizer; steps: StepStats[] }> {
  manualSeed(2);
  const data = tidy(() => ({ images: randn([n, 3, 8, 8]), labels: randint(0, 3, [n]) }));
  manualSeed(0);
  const model = createRecognizer({ backbone: "convnet", width: 4, embeddingDim: 8, numClasses: 3, loss: "softmax" });
  const steps: StepStats[] = [];
  try {
    await trainRecognizer(model, data, { ...o, epochs: 2, onStep: (s) => steps.push(s) });
  } finally {
    for (const t of Object.values(data) as Tensor[]) t.dispose();
  }
  return { model, steps };
}

// facelab as a dependency: renders a few synthetic faces, trains a small ResNet to tell the
// identities apart for a few SGD steps, and checks that the loss fell. Imports by package name only.
//   (in facelab)   npm run build:lib
//   (here)         npm install && node train.mjs
import { renderSynthFaces } from "facelab/data";
import { crossEntropyLoss } from "facelab/losses";
import { resnet18 } from "facelab/models";
import { manualSeed, optim, tensor, tidy } from "facelab/torch";

const steps = Number(process.env.STEPS ?? 8);
manualSeed(0);

// 4 identities x 4 images of 32x32 px, rendered in memory (no cache folder); identity is the label.
const faces = await renderSynthFaces({ identities: 4, imagesPerIdentity: 4, side: 32, seed: 1, cacheDir: null });
const n = faces.count;
const pixels = await faces.read(Array.from({ length: n }, (_, i) => i));
const labels = faces.items.map((it) => it.label ?? it.identity ?? 0);

const model = resnet18({ numClasses: 4, cifarStem: true, widthMultiplier: 0.25, layers: [1, 1, 1, 1] });
const sgd = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const x = tidy(() =>
  tensor(pixels, { shape: [n, 32, 32, faces.channels], dtype: "uint8" }).permute(0, 3, 1, 2).float().div(255),
);
const y = tensor(labels, { dtype: "int64" });

const losses = [];
model.train();
for (let step = 0; step < steps; step++) {
  tidy(() => {
    sgd.zeroGrad();
    const { loss } = crossEntropyLoss(model.call(x), y);
    loss.backward();
    sgd.step();
    losses.push(loss.item());
  });
}
console.log(`loss ${losses.map((l) => l.toFixed(3)).join(" → ")}`);
// Examples check their own results: a few steps on one fixed batch must fit it better.
if (!(losses.at(-1) < losses[0])) {
  console.error(`the loss did not fall in ${steps} steps`);
  process.exit(1);
}
console.log("ok");

// Small fixtures for the SimCLR method tests: a tiny conv encoder (fast on 2 cores) and a synthetic
// labelled image set whose classes differ in stripe orientation while every image gets a random
// brightness, contrast and stripe phase — nuisances a random encoder's features mix with the class,
// and which SimCLR's colour jitter and crops teach the encoder to ignore.
import { Rng } from "../../src/data/rng.js";
import { type LabelledTask, runEvalSuite } from "../../src/methods/evaluate.js";
import { simclrModel } from "../../src/methods/simclr.js";
import { EvaluateSchema } from "../../src/methods/simclr-config.js";
import { type Encoder, ProjectionHead } from "../../src/models/heads.js";
import { fromTypedArray, keep, manualSeed, type Tensor, tidy } from "../../src/torch/index.js";
import { BatchNorm2d, Conv2d, Module, ReLU, Sequential } from "../../src/torch/nn/index.js";

export class TinyEncoder extends Module implements Encoder {
  readonly body: Sequential;
  readonly featureDim: number;
  constructor(channels = 1, width = 16) {
    super();
    this.featureDim = 2 * width;
    this.body = this.registerModule(
      "body",
      new Sequential(
        new Conv2d(channels, width, 3, { padding: 1, bias: false }),
        new BatchNorm2d(width),
        new ReLU(),
        new Conv2d(width, 2 * width, 3, { stride: 2, padding: 1, bias: false }),
        new BatchNorm2d(2 * width),
        new ReLU(),
        new Conv2d(2 * width, 2 * width, 3, { stride: 2, padding: 1, bias: false }),
        new BatchNorm2d(2 * width),
        new ReLU(),
      ),
    );
  }
  features(x: Tensor): Tensor {
    return tidy(() => this.body.call(x).mean([2, 3]));
  }
  forward(x: Tensor): Tensor {
    return this.features(x);
  }
}

/** n grayscale size×size stripe images of 4 orientations; uint8 N×1×H×W (kept) and labels. */
export function stripes(n: number, size: number, seed: number): { images: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const px = new Uint8Array(n * size * size);
  const labels = new Int32Array(n);
  const dirs = [
    [1, 0],
    [0, 1],
    [1, 1],
    [1, -1],
  ];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    const [dx, dy] = dirs[c]!;
    const freq = rng.uniform(0.5, 1.1);
    const phase = rng.uniform(0, 2 * Math.PI);
    const bright = rng.uniform(0.15, 0.85);
    const contrast = rng.uniform(0.05, 0.5);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const v = bright + contrast * Math.sin(freq * (dx! * x + dy! * y) + phase) + rng.normal() * 0.03;
        px[i * size * size + y * size + x] = Math.max(0, Math.min(255, Math.round(v * 255)));
      }
  }
  return { images: keep(fromTypedArray(px, [n, 1, size, size])), labels };
}

/**
 * n colour size×size images of 4 shapes (horizontal bar, vertical bar, square ring, diagonal cross) at a
 * random position, in a random foreground colour on a random background colour. Colour carries no
 * class information but dominates a random encoder's features; SimCLR's colour jitter and grayscale
 * teach invariance to it (paper §3, colour distortion). uint8 N×3×H×W (kept) and labels.
 */
export function colourShapes(n: number, size: number, seed: number): { images: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const hw = size * size;
  const px = new Uint8Array(n * 3 * hw);
  const labels = new Int32Array(n);
  const s = Math.floor((size * 3) / 4); // shape extent
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    const bg = [rng.next(), rng.next(), rng.next()];
    const fg = [rng.next(), rng.next(), rng.next()];
    const ox = rng.int(1, size - s - 1);
    const oy = rng.int(1, size - s - 1);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const u = x - ox;
        const v = y - oy;
        const inside = u >= 0 && u < s && v >= 0 && v < s;
        const mid = Math.floor(s / 2);
        const on =
          inside &&
          (c === 0
            ? Math.abs(v - mid) <= 1
            : c === 1
              ? Math.abs(u - mid) <= 1
              : c === 2
                ? u === 0 || v === 0 || u === s - 1 || v === s - 1
                : u === v || u === s - 1 - v);
        for (let ch = 0; ch < 3; ch++) {
          const val = (on ? fg[ch]! : bg[ch]!) + rng.normal() * 0.02;
          px[i * 3 * hw + ch * hw + y * size + x] = Math.max(0, Math.min(255, Math.round(val * 255)));
        }
      }
  }
  return { images: keep(fromTypedArray(px, [n, 3, size, size])), labels };
}

/**
 * Colour stripes: the class is the stripe orientation (4 classes); the two stripe colours are random per
 * image. Colour carries no class information but dominates a random encoder's features, while SimCLR's
 * colour jitter + grayscale make the views differ in colour, so pretraining learns orientation (the
 * paper's §3 point that colour distortion is what stops colour histograms from solving the task).
 */
export function colourStripes(n: number, size: number, seed: number): { images: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const hw = size * size;
  const px = new Uint8Array(n * 3 * hw);
  const labels = new Int32Array(n);
  const dirs = [
    [1, 0],
    [0, 1],
    [Math.SQRT1_2, Math.SQRT1_2],
    [Math.SQRT1_2, -Math.SQRT1_2],
  ];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    const [dx, dy] = dirs[c]!;
    const a = [rng.next(), rng.next(), rng.next()];
    const b = [rng.next(), rng.next(), rng.next()];
    const period = rng.uniform(3, 5);
    const phase = rng.uniform(0, period);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const on = ((dx! * x + dy! * y + phase) % period) / period < 0.5;
        for (let ch = 0; ch < 3; ch++) {
          const v = (on ? a[ch]! : b[ch]!) + rng.normal() * 0.02;
          px[i * 3 * hw + ch * hw + y * size + x] = Math.max(0, Math.min(255, Math.round(v * 255)));
        }
      }
  }
  return { images: keep(fromTypedArray(px, [n, 3, size, size])), labels };
}

/** A 4-class stripes task (96 train, 48 validation images) and a tiny SimCLR model's state as "pretrained". */
export function stripesSetup(headLayers: 2 | 3) {
  const train = stripes(96, 12, 1);
  const val = stripes(48, 12, 2);
  const task: LabelledTask = { name: "stripes", classNames: ["h", "v", "d", "a"], train, val };
  manualSeed(0);
  const model = simclrModel(new TinyEncoder(1, 8), { layers: headLayers, hidden: 16, out: 8 });
  const pretrained = model.stateDict();
  const dispose = () => {
    for (const t of pretrained.values()) t.dispose();
    model.dispose();
    train.images.dispose();
    val.images.dispose();
  };
  return { task, train, val, pretrained, dispose };
}

export const head2 = (d: number) => new ProjectionHead(d, { layers: 2, hidden: 16, out: 8 });

/** The suite with only its all-label rows (kNN, L-BFGS) on stripesSetup(2)'s task and model. */
export const allLabelRows = (s: ReturnType<typeof stripesSetup>, rows: object, log?: (m: string) => void) =>
  runEvalSuite({
    makeEncoder: () => new TinyEncoder(1, 8),
    makeHead: head2,
    pretrained: s.pretrained,
    pretrainEpoch: 7,
    tasks: [s.task],
    cfg: EvaluateSchema.parse({
      labelFractions: [],
      finetune: { enabled: false },
      scratch: { enabled: false },
      ...rows,
    }),
    seed: 0,
    log,
  });

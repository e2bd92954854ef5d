// Fine-tuning a pretrained encoder and its from-scratch baseline on one labelled subset (the evaluation
// suite's "fine-tune" and "scratch" rows, evaluate.ts). Both build the same kind of network — encoder,
// the projection head's first block when their config's fromProjectionLayer is 1, a fresh linear head —
// and train it with one loop (supervised.ts trainNetwork); the starting weights and config block differ.
import { deriveSeed } from "../data/rng.js";
import { type Encoder, EncoderClassifier, type ProjectionHead } from "../models/heads.js";
import { type Device, keep, manualSeed, noGrad, type Tensor, tidy } from "../torch/index.js";
import type { Sequential } from "../torch/nn/index.js";
import { extractFeatures } from "./features.js";
import { type FinetuneConfig, scaledLr } from "./simclr-config.js";
import {
  linearProbe,
  type SupervisedEpoch,
  type SupervisedOptions,
  type SupervisedResult,
  trainNetwork,
} from "./supervised.js";
import { cropFlip } from "./views.js";

/** Encoder weights from a SimCLR state dict (its encoder.* keys). */
export function loadPretrainedEncoder(enc: Encoder, state: Map<string, Tensor>): void {
  const sub = new Map([...state].filter(([k]) => k.startsWith("encoder.")).map(([k, v]) => [k.slice(8), v]));
  enc.loadStateDict(sub);
}

/** The projection head of a SimCLR state dict (its head.* keys) and its first block. */
function headBlock0(head: ProjectionHead, state: Map<string, Tensor>): Sequential {
  const sub = new Map([...state].filter(([k]) => k.startsWith("head.")).map(([k, v]) => [k.slice(5), v]));
  head.loadStateDict(sub);
  return head.blocks[0]!;
}

export interface FinetuneModelSource {
  /** builds a fresh, randomly initialised encoder of the pretrained architecture */
  makeEncoder: () => Encoder;
  /** builds the projection head matching `pretrained` */
  makeHead: (featureDim: number) => ProjectionHead;
  /** the pretrained model's state dict (encoder.* and head.* keys) */
  pretrained: Map<string, Tensor>;
}

/**
 * The network fine-tuning (pretrained = true) or the from-scratch baseline trains: encoder (pretrained
 * weights, or the random init drawn under `initSeed`), then with fromProjectionLayer 1 the projection
 * head's first block (Linear → BN → ReLU, SimCLRv2 ft_proj_selector = 1: the pretrained one, or for the
 * baseline a fresh one of the same shape, so both train the same architecture), then a fresh linear
 * head drawn under `headSeed`.
 */
export function finetuneModel(
  src: FinetuneModelSource,
  numClasses: number,
  ft: Pick<FinetuneConfig, "fromProjectionLayer">,
  pretrained: boolean,
  seeds: { init: number; head: number },
): EncoderClassifier {
  manualSeed(seeds.init);
  const enc = src.makeEncoder();
  let proj: Sequential | null = null;
  let projWidth = 0;
  try {
    if (pretrained) loadPretrainedEncoder(enc, src.pretrained);
    if (ft.fromProjectionLayer === 1) {
      const head = src.makeHead(enc.featureDim);
      proj = pretrained ? headBlock0(head, src.pretrained) : head.blocks[0]!;
      projWidth = head.widthAfter(1);
      // A head built only to lend its first block: dispose the rest (block 0 goes with the model).
      for (const b of head.blocks.slice(1)) b.dispose();
    }
    manualSeed(seeds.head);
    return new EncoderClassifier(enc, numClasses, proj, projWidth);
  } catch (e) {
    enc.dispose();
    proj?.dispose();
    throw e;
  }
}

/**
 * Frozen features h mapped through the projection head's first block (Linear → BN → ReLU, eval mode):
 * the pretrained block, or for a random-init baseline a fresh one drawn under `seed` — the
 * representation SimCLRv2 fine-tunes from, here for the all-label probe (evaluate.logisticProbe).
 */
export function projectFeatures(
  src: Pick<FinetuneModelSource, "makeHead" | "pretrained">,
  h: readonly Tensor[],
  pretrained: boolean,
  seed: number,
): Tensor[] {
  manualSeed(seed);
  const head = src.makeHead(h[0]!.shape[1]!);
  try {
    const block = pretrained ? headBlock0(head, src.pretrained) : head.blocks[0]!;
    block.eval();
    return h.map((x) => keep(tidy(() => noGrad(() => block.call(x)))));
  } finally {
    head.dispose();
  }
}

export interface FinetuneRun {
  task: string;
  classNames: readonly string[];
  subset: { images: Tensor; labels: Int32Array };
  val: { images: Tensor; labels: Int32Array };
  device?: Device;
  /** seed of the encoder's random init (the probe baseline's), of the run (head, batches, views) */
  seeds: { init: number; run: number };
  /** LP-FT's probe settings (evaluate.linearProbe) when headInit is "probe" */
  probe: Omit<SupervisedOptions, "seed">;
  onEpoch?: (r: SupervisedEpoch) => void;
}

/** Fine-tune (pretrained) or from-scratch training of encoder + fresh head on one labelled subset. */
export async function finetune(
  src: FinetuneModelSource,
  r: FinetuneRun,
  ft: FinetuneConfig,
  pretrained: boolean,
): Promise<SupervisedResult> {
  const C = r.classNames.length;
  const model = finetuneModel(src, C, ft, pretrained, {
    init: r.seeds.init,
    head: deriveSeed(r.seeds.run, pretrained ? 1 : 2),
  }).to(r.device ?? "cpu");
  try {
    if (pretrained && ft.headInit === "probe") await warmStartHead(model, r);
    return await trainNetwork(
      model,
      new Map(model.fc.namedParameters().map(([k, v]) => [`fc.${k}`, v])),
      r.subset,
      r.val,
      C,
      {
        epochs: ft.epochs,
        minSteps: ft.minSteps,
        batchSize: ft.batchSize,
        lr: scaledLr(ft.lr, ft.batchSize, "linear"),
        weightDecay: ft.weightDecay,
        backboneLrScale: ft.backboneLrScale,
        labelSmoothing: ft.labelSmoothing,
        classWeights: ft.classWeights,
        balancedSampling: ft.balancedSampling,
        guards: ft.guards,
        validations: ft.validations,
        seed: r.seeds.run,
        augment: cropFlip(ft.cropScale),
        onEpoch: r.onEpoch,
      },
    );
  } finally {
    model.dispose();
  }
}

/** LP-FT: trains model.fc as a linear probe on the frozen features of the subset, then folds the standardisation in. */
async function warmStartHead(model: EncoderClassifier, r: FinetuneRun): Promise<void> {
  await tidy(async () => {
    const train = extractFeatures(model, r.subset.images);
    const val = extractFeatures(model, r.val.images);
    await linearProbe(train, r.subset.labels, val, r.val.labels, r.classNames.length, {
      ...r.probe,
      seed: r.seeds.run,
      guards: false,
      init: model.fc,
      foldStandardization: true,
    });
  });
}

// Heads used by the SimCLR method: the projection head g(·) that maps encoder features h to the
// embedding z the contrastive loss sees, and the linear classifier used for probes and fine-tuning.
//
// ProjectionHead follows google-research/simclr tf2/model.py::ProjectionHead (reference/simclr.md §1.1):
// `layers` blocks; every block but the last is Linear(no bias) → BN → ReLU at the hidden width, the last
// is Linear(no bias) → BN without ReLU to `out` (128). SimCLRv2's default is 3 layers, v1 used 2.
// (google's last BN has no β; PyTorch's BN has γ and β together, so ours keeps β — it starts at 0.)
// Fine-tuning "from the first projection layer" (SimCLRv2 ft_proj_selector=1) keeps block 0.

import type { Tensor } from "../torch/index.js";
import { BatchNorm1d, Linear, Module, ReLU, Sequential } from "../torch/nn/index.js";

export interface ProjectionHeadOptions {
  /** number of Linear layers (1–4); 3 = SimCLRv2 */
  layers: number;
  /** hidden width; google uses the input width */
  hidden: number;
  /** embedding width; 128 in SimCLR */
  out: number;
}

export class ProjectionHead extends Module {
  readonly blocks: Sequential[] = [];

  constructor(
    readonly inFeatures: number,
    readonly opts: ProjectionHeadOptions,
  ) {
    super();
    if (!Number.isInteger(opts.layers) || opts.layers < 1 || opts.layers > 4)
      throw new RangeError(`ProjectionHead: layers must be 1–4, got ${opts.layers}`);
    let width = inFeatures;
    for (let i = 0; i < opts.layers; i++) {
      const last = i === opts.layers - 1;
      const outW = last ? opts.out : opts.hidden;
      const block = last
        ? new Sequential(new Linear(width, outW, { bias: false }), new BatchNorm1d(outW))
        : new Sequential(new Linear(width, outW, { bias: false }), new BatchNorm1d(outW), new ReLU());
      this.blocks.push(this.registerModule(String(i), block));
      width = outW;
    }
  }

  forward(h: Tensor): Tensor {
    return this.forwardBlocks(h, this.blocks.length);
  }

  /** Output after the first `k` blocks (k = 0 returns h itself as a fresh handle). */
  forwardBlocks(h: Tensor, k: number): Tensor {
    let x = h.alias();
    for (let i = 0; i < k; i++) {
      const next = this.blocks[i]!.call(x);
      x.dispose();
      x = next;
    }
    return x;
  }

  /** Width of the output after the first `k` blocks. */
  widthAfter(k: number): number {
    if (k === 0) return this.inFeatures;
    return k === this.blocks.length ? this.opts.out : this.opts.hidden;
  }
}

/**
 * BYOL's projector and predictor (Grill et al. 2020, §3.3): Linear → BatchNorm → ReLU → Linear, both
 * linears with bias (paper: hidden 4096, output 256).
 */
export class MlpHead extends Module {
  readonly net: Sequential;
  constructor(
    readonly inFeatures: number,
    readonly hidden: number,
    readonly out: number,
  ) {
    super();
    this.net = this.registerModule(
      "net",
      new Sequential(new Linear(inFeatures, hidden), new BatchNorm1d(hidden), new ReLU(), new Linear(hidden, out)),
    );
  }
  forward(x: Tensor): Tensor {
    return this.net.call(x);
  }
}

/** Anything with a feature extractor h = encoder.features(x) of a known width: a ResNet without its fc. */
export interface Encoder extends Module {
  /** pooled features before any classifier, (N, featureDim) */
  features(x: Tensor): Tensor;
  readonly featureDim: number;
}

/**
 * An encoder followed by a head on its features, z = head(encoder.features(x)); state-dict keys
 * encoder.* and <headName>.* (SimCLR's f → g: head.*; BYOL's target f_ξ → g_ξ: projector.*).
 */
export class EncoderWithHead<H extends Module = Module> extends Module {
  constructor(
    readonly encoder: Encoder,
    readonly head: H,
    headName = "head",
  ) {
    super();
    this.registerModule("encoder", encoder);
    this.registerModule(headName, head);
  }

  forward(x: Tensor): Tensor {
    const h = this.encoder.features(x);
    const z = this.head.call(h);
    h.dispose();
    return z;
  }
}

/**
 * A classifier on an encoder: logits = fc(head[0..k](features(x))). k = 0 is the usual fresh head on h;
 * k = 1 keeps the first projection block (SimCLRv2). State-dict keys: encoder.*, proj.*, fc.*.
 */
export class EncoderClassifier extends Module {
  readonly fc: Linear;
  readonly proj: Sequential | null;

  constructor(
    readonly encoder: Encoder,
    numClasses: number,
    proj: Sequential | null = null,
    projWidth = 0,
  ) {
    super();
    this.registerModule("encoder", encoder);
    this.proj = proj === null ? null : this.registerModule("proj", proj);
    this.fc = this.registerModule("fc", new Linear(proj === null ? encoder.featureDim : projWidth, numClasses));
  }

  /** The representation fc sees: h, or the first projection block's output (so it is an Encoder too). */
  features(x: Tensor): Tensor {
    const h = this.encoder.features(x);
    if (this.proj === null) return h;
    const p = this.proj.call(h);
    h.dispose();
    return p;
  }

  get featureDim(): number {
    return this.fc.inFeatures;
  }

  forward(x: Tensor): Tensor {
    const f = this.features(x);
    const out = this.fc.call(f);
    f.dispose();
    return out;
  }
}

// Every default of every loss, in one place: the pure functions, the heads and the config schema
// (config.ts) all read these, so a recipe that leaves a value out gets exactly what a direct call gets.
// Each value cites where it comes from.

export const LOSS_DEFAULTS = {
  softmax: {
    /** Label smoothing ε (Szegedy et al. 2016; off unless asked for). */
    labelSmoothing: 0,
  },
  ring: {
    /** "l2": the paper's λ/(2m)·Σ(‖f‖−R)²; "ratio": the official code's 'auto' form. */
    type: "l2" as "l2" | "ratio",
    /** λ per form (paper/gluon-face 0.01 for "l2"; official code 1.0 for "ratio"). */
    weight: { l2: 0.01, ratio: 1 },
  },
  sphereface: {
    /** Integer multiplicative margin (SphereFace paper: 4). */
    m: 4,
    /** λ = max(min, base·(1+gamma·iter)^(−power)): the Caffe defaults (wy1iu/sphereface prototxt). */
    lambda: { base: 1000, gamma: 0.12, power: 1, min: 5 },
  },
  "sphereface-r": {
    /** Real multiplicative margin (opensphere @3119c97: 1.5). */
    multiplier: 1.5,
    /** Scale s (opensphere: 30). */
    scale: 30,
  },
  cosface: {
    /** Additive cosine margin (insightface sample_config: 0.35). */
    margin: 0.35,
    /** Scale s (insightface/opensphere: 64). */
    scale: 64,
  },
  arcface: {
    /** Additive angular margin in radians (insightface: 0.5). */
    margin: 0.5,
    scale: 64,
    easyMargin: false,
  },
  ntxent: {
    /** τ: 0.2 suits the short runs this toolkit does (SimCLR appendix B.9; reference/simclr.md §6); the paper's long runs use 0.5. */
    temperature: 0.2,
  },
} as const;

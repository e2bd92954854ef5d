// Synthetic faces for the bias study when no UTKFace is given: a small batched tensor renderer of
// cartoon faces. Each identity has a stable geometry and hair/eye colours; each group a visible skin
// tone (and, for a 2-group "gender-like" attribute, a face-shape offset). A planted effect shrinks
// one group's identity variation, so its people are harder to tell apart — a known bias the study
// must find (issue 5, "validity checks"). Pixels: float (N,3,S,S) in [0,1].

import { uniformStream } from "../../data/rng.js";
import { cat, linspace, manualSeed, rand, type Tensor, tensor, tidy } from "../../torch/index.js";

/** Per-identity shape/colour parameters, each in [−1, 1]. */
const P = 11;
/** Skin tones per group index (RGB in [0,1]), light to dark, cycled for more groups. */
const TONES = [
  [0.93, 0.8, 0.7],
  [0.55, 0.38, 0.27],
  [0.8, 0.63, 0.45],
  [0.68, 0.5, 0.36],
  [0.87, 0.72, 0.55],
];

export interface SynthPerson {
  group: number;
  params: number[];
}

/**
 * People of the given groups. planted: the group index whose identity spread is multiplied by
 * (1 − strength) around one shared face — strength 0 = no effect, 1 = all its people identical.
 */
export function synthPeople(
  groups: number[],
  seed: number,
  planted?: { group: number; strength: number },
): SynthPerson[] {
  const r = uniformStream(seed);
  const centre = Array.from({ length: P }, () => 0);
  return groups.map((group) => {
    const spread = planted && planted.group === group ? 1 - planted.strength : 1;
    return { group, params: centre.map((c) => c + spread * (2 * r() - 1)) };
  });
}

const col = (xs: number[]) => tensor(xs).view(-1, 1, 1, 1);

/** Soft inside-mask of axis-aligned ellipses centred (cx, cy) with half-axes (a, b), all (N,1,1,1). */
function ellipse(u: Tensor, v: Tensor, cx: Tensor, cy: Tensor, a: Tensor, b: Tensor, sharp: number): Tensor {
  const d = u.sub(cx).div(a).square().add(v.sub(cy).div(b).square());
  return d.rsub(1).mul(sharp).sigmoid();
}

/** Paints colour (N,3,1,1) over img where mask (N,1,S,S) is on. */
const paint = (img: Tensor, mask: Tensor, colour: Tensor) => img.mul(mask.rsub(1)).add(colour.mul(mask));

/**
 * Renders one image per entry: `views[i]` is a per-image seed for pose and lighting, so the same
 * person rendered with two view seeds gives two different photos of one face.
 */
export function renderFaces(people: SynthPerson[], views: number[], size: number, nGroups: number): Tensor {
  return tidy(() => {
    const n = people.length;
    const p = (k: number) => col(people.map((q) => q.params[k] as number));
    const r = views.map((s) => uniformStream(s));
    const jitter = (scale: number) => col(r.map((g) => scale * (2 * g() - 1)));
    const dx = jitter(0.06);
    const dy = jitter(0.06);
    const light = col(r.map((g) => 0.85 + 0.3 * g()));
    const grid = linspace(-1, 1, size);
    const u = grid.view(1, 1, 1, size).sub(dx);
    const v = grid.view(1, 1, size, 1).sub(dy);
    const toneOf = people.map((q) => TONES[q.group % TONES.length] as number[]);
    const tone = tensor(toneOf).view(n, 3, 1, 1);
    // A 2-group attribute also changes face shape (wider/narrower), as a visible "gender-like" cue.
    const shape = col(people.map((q) => (nGroups === 2 ? (q.group === 0 ? 0.06 : -0.06) : 0)));
    const bg = col(r.map((g) => 0.3 + 0.4 * g())).expand(n, 3, 1, 1);
    let img = bg
      .mul(tensor([1, 1, 1]).view(1, 3, 1, 1))
      .expand(n, 3, size, size)
      .contiguous();
    const hair = tidy(() =>
      cat([p(8), p(9), p(10)], 1)
        .add(1)
        .div(2)
        .mul(0.8)
        .add(0.1),
    );
    // Hair: a wide ellipse behind the top of the head.
    img = paint(
      img,
      ellipse(
        u,
        v,
        col(Array(n).fill(0)),
        p(1).mul(0.06).sub(0.25),
        p(0).mul(0.08).add(0.66).add(shape),
        p(2).mul(0.1).add(0.5),
        12,
      ),
      hair,
    );
    // Face.
    const faceA = p(0).mul(0.08).add(0.55).add(shape);
    const faceB = p(1).mul(0.08).add(0.7);
    img = paint(img, ellipse(u, v, col(Array(n).fill(0)), col(Array(n).fill(0.1)), faceA, faceB, 10), tone);
    // Eyes, nose, mouth: positions and sizes from the identity's parameters.
    const dark = tensor([0.12, 0.1, 0.1]).view(1, 3, 1, 1).expand(n, 3, 1, 1);
    const eyeX = p(3).mul(0.07).add(0.24);
    const eyeY = p(4).mul(0.07).sub(0.05);
    const eyeR = p(5).mul(0.025).add(0.075);
    for (const side of [-1, 1]) img = paint(img, ellipse(u, v, eyeX.mul(side), eyeY, eyeR, eyeR.mul(0.8), 8), dark);
    img = paint(
      img,
      ellipse(
        u,
        v,
        col(Array(n).fill(0)),
        p(6).mul(0.05).add(0.18),
        col(Array(n).fill(0.035)),
        p(6).mul(0.04).add(0.1),
        8,
      ),
      tone.mul(0.75),
    );
    const mouthY = p(7).mul(0.06).add(0.45);
    img = paint(
      img,
      ellipse(u, v, col(Array(n).fill(0)), mouthY, p(2).mul(0.08).add(0.2), col(Array(n).fill(0.045)), 8),
      tensor([0.6, 0.2, 0.2]).view(1, 3, 1, 1).expand(n, 3, 1, 1),
    );
    manualSeed(views.reduce((a, b) => (a * 31 + b) >>> 0, 7));
    return img
      .mul(light)
      .add(rand([n, 3, size, size]).sub(0.5).mul(0.04))
      .clamp(0, 1);
  });
}

// Generated "faces" for running the face study with no external data: an oval face with eyes, brows and
// a mouth on a random background, at a random position, scale and lighting. Two labelled attributes:
//   gender (2 classes): hair silhouette — short cropped hair vs long hair falling past the jaw;
//   race (5 classes, UTKFace's names): skin tone drawn around a class-specific base colour, with overlap.
// The race cue is colour, which SimCLR's colour jitter and grayscale teach the encoder to ignore
// (reference/simclr.md §4, "colour versus grayscale"), so the recipe can show that effect too.
// Classes are imbalanced like UTKFace (more White, fewer Others) to exercise the balanced metrics.
import { Rng } from "../../data/rng.js";
import { UTK_GENDERS, UTK_RACES } from "../../data/utkface.js";
import { fromTypedArray, keep, type Tensor } from "../../torch/index.js";

/** Base skin tones (RGB in [0,1]) per race class; each face adds a random offset of ±0.08. */
const TONES = [
  [0.93, 0.78, 0.68],
  [0.42, 0.28, 0.2],
  [0.88, 0.74, 0.56],
  [0.68, 0.5, 0.36],
  [0.78, 0.62, 0.5],
];
/** Race class shares, roughly UTKFace's (White 42%, Black 19%, Asian 15%, Indian 17%, Others 7%). */
const RACE_SHARE = [0.42, 0.19, 0.15, 0.17, 0.07];

function drawClass(rng: Rng, shares: number[]): number {
  let u = rng.next();
  for (let i = 0; i < shares.length; i++) {
    u -= shares[i]!;
    if (u < 0) return i;
  }
  return shares.length - 1;
}

export interface SyntheticFaces {
  /** uint8 N×3×size×size, kept (the caller disposes) */
  images: Tensor;
  attrs: { gender: number; race: number }[];
  classNames: Record<string, readonly string[]>;
}

export function syntheticFaces(n: number, size: number, seed: number): SyntheticFaces {
  const rng = new Rng(seed);
  const hw = size * size;
  const px = new Uint8Array(n * 3 * hw);
  const attrs: { gender: number; race: number }[] = [];
  for (let i = 0; i < n; i++) {
    const gender = rng.bernoulli(0.52) ? 0 : 1;
    const race = drawClass(rng, RACE_SHARE);
    attrs.push({ gender, race });
    const tone = TONES[race]!.map((c) => c + rng.uniform(-0.08, 0.08));
    const bg = [rng.next(), rng.next(), rng.next()];
    const hair = [rng.uniform(0.02, 0.5), rng.uniform(0.02, 0.35), rng.uniform(0.02, 0.25)];
    const light = rng.uniform(0.75, 1.15);
    const cx = size * rng.uniform(0.42, 0.58);
    const cy = size * rng.uniform(0.45, 0.58);
    const rx = size * rng.uniform(0.2, 0.26);
    const ry = rx * rng.uniform(1.2, 1.4);
    const eyeY = cy - ry * 0.15;
    const eyeDx = rx * 0.42;
    const eyeR = Math.max(1, rx * 0.13);
    const mouthY = cy + ry * 0.45;
    const longHair = gender === 1;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const u = (x - cx) / rx;
        const v = (y - cy) / ry;
        const inFace = u * u + v * v <= 1;
        // Hair: a cap over the top of the head for both; long hair also frames the face down to the shoulders.
        const hu = (x - cx) / (rx * 1.18);
        const hv = (y - (cy - ry * 0.12)) / (ry * 1.08);
        const inCap = hu * hu + hv * hv <= 1 && y < cy - ry * 0.35;
        const inLong =
          longHair && Math.abs(x - cx) <= rx * 1.35 && y >= cy - ry * 0.5 && y <= cy + ry * 1.25 && !inFace;
        let c = bg;
        if (inCap || inLong) c = hair;
        else if (inFace) {
          c = tone;
          const inEye =
            Math.abs(x - (cx - eyeDx)) ** 2 + (y - eyeY) ** 2 <= eyeR ** 2 ||
            Math.abs(x - (cx + eyeDx)) ** 2 + (y - eyeY) ** 2 <= eyeR ** 2;
          const inBrow =
            Math.abs(y - (eyeY - eyeR * 2)) <= Math.max(0.6, eyeR * 0.4) &&
            Math.abs(Math.abs(x - cx) - eyeDx) <= eyeR * 1.6;
          const inMouth = Math.abs(y - mouthY) <= Math.max(0.6, ry * 0.05) && Math.abs(x - cx) <= rx * 0.38;
          if (inEye || inBrow) c = [0.08, 0.06, 0.05];
          else if (inMouth) c = [0.6, 0.22, 0.22];
        }
        for (let ch = 0; ch < 3; ch++) {
          const val = c[ch]! * light + rng.normal() * 0.02;
          px[i * 3 * hw + ch * hw + y * size + x] = Math.max(0, Math.min(255, Math.round(val * 255)));
        }
      }
    }
  }
  return {
    images: keep(fromTypedArray(px, [n, 3, size, size])),
    attrs,
    classNames: { gender: UTK_GENDERS, race: UTK_RACES },
  };
}

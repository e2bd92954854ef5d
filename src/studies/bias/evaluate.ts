// Runs a trained cell model over its evaluation sets and reduces everything to plain per-unit
// numbers (EvalOutputs) that metrics.ts turns into per-group estimates.

import { uniformStream } from "../../data/rng.js";
import { fitTemperature } from "../../eval/index.js";
import { embedAll } from "../../methods/recognition/train.js";
import type { FaceRecNet } from "../../models/facerec.js";
import { F, type Tensor, tensor, tidy } from "../../torch/index.js";
import type { CellData } from "./data.js";

/** Everything a cell's model produced on its evaluation sets, as plain arrays (evaluateCell). */
export interface EvalOutputs {
  groups: string[];
  /** Temperature fitted on held-out seen data (1 when scaling is off). */
  temperature: number;
  /** Seen people's test images (original + augmented copy): group, correct (0/1), max softmax. */
  seen: { group: Int32Array; correct: Uint8Array; conf: Float64Array; confRaw: Float64Array };
  /** Unseen people's images: max softmax over the seen identities. */
  unseen: { group: Int32Array; conf: Float64Array; confRaw: Float64Array };
  /** 1:1 verification among unseen people: per person its genuine score and same-group impostor scores. */
  verification: { group: Int32Array; genuine: Float64Array; impostors: Float64Array[] };
  /** Open-set identification on embeddings: mated (seen) and non-mated (unseen) probes vs the gallery. */
  openSet: {
    matedGroup: Int32Array;
    matedScore: Float64Array;
    matedRankOne: Uint8Array;
    nonMatedGroup: Int32Array;
    nonMatedScore: Float64Array;
  };
}

const maxSoftmax = (logits: Tensor, t: number) => Float64Array.from(F.softmax(logits.div(t), 1).amax(1).toNumbers());

export interface EvalSettings {
  temperatureScaling: boolean;
  impostorsPerProbe: number;
  seed: number;
}

export function evaluateCell(model: FaceRecNet, data: CellData, o: EvalSettings): EvalOutputs {
  return tidy(() => {
    const temperature = o.temperatureScaling
      ? tidy(() => fitTemperature(embedAll(model, data.calib.images).logits, data.calib.identity).temperature)
      : 1;
    // Seen people: closed-set accuracy and confidence on the test images.
    const test = embedAll(model, data.test.images);
    const pred = test.logits.argmax(1).toNumbers();
    const seen = {
      group: data.test.group,
      correct: Uint8Array.from(pred, (p, i) => +(p === data.test.identity[i])),
      conf: maxSoftmax(test.logits, temperature),
      confRaw: maxSoftmax(test.logits, 1),
    };
    // Unseen people: confidence of their original photos (the seed's "people not in the data").
    const un = embedAll(model, data.unseen.images);
    const origIdx = indicesWhere(data.unseen.original, 1);
    const augIdx = indicesWhere(data.unseen.original, 0);
    const origT = tensor(origIdx, { dtype: "int64" });
    const unseenLogits = un.logits.indexSelect(0, origT);
    const unseen = {
      group: Int32Array.from(origIdx, (i) => data.unseen.group[i] as number),
      conf: maxSoftmax(unseenLogits, temperature),
      confRaw: maxSoftmax(unseenLogits, 1),
    };
    return {
      groups: data.groups,
      temperature,
      seen,
      unseen,
      verification: verification(un.embeddings, data, origIdx, augIdx, o),
      openSet: openSet(test.embeddings, data, un.embeddings.indexSelect(0, origT), unseen.group),
    };
  });
}

function indicesWhere(a: Uint8Array, v: number): number[] {
  const out: number[] = [];
  a.forEach((x, i) => {
    if (x === v) out.push(i);
  });
  return out;
}

/** Cosine similarity of every row of a with every row of b, as nested arrays. */
function cosine(a: Tensor, b: Tensor): number[][] {
  return F.normalize(a, 2, 1)
    .matmul(F.normalize(b, 2, 1).t())
    .toArray() as number[][];
}

/**
 * Genuine pair per unseen person (original vs augmented photo) and up to k impostor pairs against
 * other people of the same group (demographically matched impostors, as NIST FRVT).
 */
function verification(emb: Tensor, data: CellData, origIdx: number[], augIdx: number[], o: EvalSettings) {
  const person = data.unseen.identity;
  const augOf = new Map(augIdx.map((i) => [person[i] as number, i]));
  const probes = origIdx.filter((i) => augOf.has(person[i] as number));
  const mates = probes.map((i) => augOf.get(person[i] as number) as number);
  const sims = cosine(
    emb.indexSelect(0, tensor(probes, { dtype: "int64" })),
    emb.indexSelect(0, tensor(mates, { dtype: "int64" })),
  );
  const rand = uniformStream(o.seed ^ 0x5eed);
  const group = Int32Array.from(probes, (i) => data.unseen.group[i] as number);
  const impostors = probes.map((_, p) => {
    const others = probes.map((_, q) => q).filter((q) => q !== p && group[q] === group[p]);
    for (let i = others.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [others[i], others[j]] = [others[j] as number, others[i] as number];
    }
    return Float64Array.from(others.slice(0, o.impostorsPerProbe), (q) => sims[p]?.[q] as number);
  });
  return { group, genuine: Float64Array.from(probes, (_, p) => sims[p]?.[p] as number), impostors };
}

/** Gallery = each seen identity's original test photo; mated probes = their augmented test copy. */
function openSet(testEmb: Tensor, data: CellData, unseenEmb: Tensor, unseenGroup: Int32Array) {
  const t = data.test;
  const gal = indicesWhere(t.original, 1);
  const probes = indicesWhere(t.original, 0);
  const galleryIds = gal.map((i) => t.identity[i] as number);
  const gallery = F.normalize(testEmb.indexSelect(0, tensor(gal, { dtype: "int64" })), 2, 1);
  const best = (e: Tensor) => {
    const { values, indices } = F.normalize(e, 2, 1).matmul(gallery.t()).max(1);
    return {
      score: Float64Array.from(values.toNumbers()),
      who: indices.toNumbers().map((k) => galleryIds[k] as number),
    };
  };
  const mated = best(testEmb.indexSelect(0, tensor(probes, { dtype: "int64" })));
  const non = best(unseenEmb);
  return {
    matedGroup: Int32Array.from(probes, (i) => t.group[i] as number),
    matedScore: mated.score,
    matedRankOne: Uint8Array.from(probes, (i, k) => +(mated.who[k] === t.identity[i])),
    nonMatedGroup: unseenGroup,
    nonMatedScore: non.score,
  };
}

// Synthetic faces: reproducible from the seed, exact attribute distributions, cached, attributes
// learnable from pixels (softmax regression beats chance by a wide margin), and the planted effect
// (a group with less between-identity variation) measurable in the pixels.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ImageSet } from "../../src/data/imageset.js";
import { renderSynthFaces, renderUtkLikeFaces } from "../../src/data/synth.js";
import { F, fromTypedArray, type Tensor, tensor, tidy, zeros } from "../../src/torch/index.js";

async function pixels(set: ImageSet, idx: number[], side = 16): Promise<Tensor> {
  const px = await set.read(idx);
  return tidy(() => {
    const x = fromTypedArray(px, [idx.length, set.height, set.width, 3]).permute(0, 3, 1, 2).float().div(255);
    return F.interpolate(x, { size: side, mode: "bilinear" }).flatten(1);
  });
}

/** Multinomial logistic regression by full-batch gradient descent (closed-form gradient XᵀP−Y). */
function softmaxRegressionAccuracy(xtr: Tensor, ytr: number[], xte: Tensor, yte: number[], k: number): number {
  return tidy(() => {
    const mu = xtr.mean(0, true);
    const sd = xtr.std(0, { keepdim: true }).add(1e-3);
    const a = xtr.sub(mu).div(sd);
    const b = xte.sub(mu).div(sd);
    const Y = F.oneHot(tensor(ytr, { dtype: "int64" }), k).float();
    let W = zeros([a.size(1), k]);
    for (let step = 0; step < 200; step++)
      W = tidy(() =>
        W.sub(
          a
            .t()
            .mm(F.softmax(a.mm(W), 1).sub(Y))
            .div(a.size(0))
            .mul(0.05),
        ).add(0),
      );
    const pred = b.mm(W).argmax(1).toNumbers();
    return pred.filter((p, i) => p === yte[i]).length / yte.length;
  });
}

test("same seed → identical pixels; another seed → other faces; attributes exact", async () => {
  const o = { identities: 20, imagesPerIdentity: 2, side: 24, seed: 4, cacheDir: null, genderP: 0.3 };
  const a = await renderSynthFaces(o);
  const b = await renderSynthFaces(o);
  const c = await renderSynthFaces({ ...o, seed: 5 });
  const all = [...Array(40).keys()];
  assert.deepEqual(await a.read(all), await b.read(all));
  assert.notDeepEqual(await a.read(all), await c.read(all));
  const ids = a.items.filter((_, i) => i % 2 === 0);
  assert.equal(ids.filter((i) => i.attrs?.gender === 1).length, 6); // round(20 × 0.3)
  const perGroup = [0, 1, 2, 3, 4].map((g) => ids.filter((i) => i.attrs?.group === g).length);
  assert.deepEqual(perGroup, [4, 4, 4, 4, 4]);
  assert.deepEqual(
    a.items.slice(0, 4).map((i) => i.identity),
    [0, 0, 1, 1],
  );
});

test("rendered sets are cached and reused", async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "facelab-synth-"));
  const o = { identities: 5, imagesPerIdentity: 2, side: 16, seed: 1, cacheDir };
  const a = await renderSynthFaces(o);
  const b = await renderSynthFaces(o);
  assert.equal(readdirSync(cacheDir).length, 1);
  assert.deepEqual(await a.read([0, 9]), await b.read([0, 9]));
  assert.equal(b.items[9]?.attrs?.group, a.items[9]?.attrs?.group);
});

test("gender-like and group attributes are learnable from pixels by a linear model", async () => {
  const set = await renderSynthFaces({ identities: 150, imagesPerIdentity: 2, side: 32, seed: 11, cacheDir: null });
  const train = [...Array(200).keys()]; // identities 0–99
  const testIdx = [...Array(100).keys()].map((i) => 200 + i); // identities 100–149, unseen people
  const attr = (idx: number[], k: string) => idx.map((i) => set.items[i]?.attrs?.[k] as number);
  const xtr = await pixels(set, train);
  const xte = await pixels(set, testIdx);
  const gender = softmaxRegressionAccuracy(xtr, attr(train, "gender"), xte, attr(testIdx, "gender"), 2);
  const group = softmaxRegressionAccuracy(xtr, attr(train, "group"), xte, attr(testIdx, "group"), 5);
  assert.ok(gender > 0.75, `gender accuracy ${gender} (chance 0.5)`);
  assert.ok(group > 0.6, `group accuracy ${group} (chance 0.2)`);
});

test("planted effect: a group with spread 0.25 has people closer together in pixel space", async () => {
  const set = await renderSynthFaces({
    identities: 100,
    imagesPerIdentity: 1,
    side: 32,
    seed: 3,
    cacheDir: null,
    variation: 0, // canonical pose: differences are identity only
    groupSpread: [1, 1, 0.25, 1, 1],
  });
  // between people of one group and one gender, so only identity traits differ
  const meanDist = async (g: number) => {
    const idx = set.items.flatMap((it, i) => (it.attrs?.group === g && it.attrs?.gender === 0 ? [i] : []));
    const x = await pixels(set, idx, 32);
    return tidy(() => {
      const d = x.unsqueeze(0).sub(x.unsqueeze(1)).square().sum(2).sqrt();
      return d.sum().item() / (idx.length * (idx.length - 1));
    });
  };
  const hard = await meanDist(2);
  for (const g of [1, 3]) {
    const other = await meanDist(g);
    assert.ok(hard < 0.6 * other, `group 2 distance ${hard} vs group ${g} ${other}`);
  }
});

test("UTKFace-like faces: UTK's class names, its race shares and 48% female exactly, White skin lighter than Black", async () => {
  const g = await renderUtkLikeFaces(100, 32, 2, null);
  assert.deepEqual(g.classNames.race, ["White", "Black", "Asian", "Indian", "Others"]);
  assert.deepEqual(g.classNames.gender, ["male", "female"]);
  const count = (k: "gender" | "race", v: number) => g.attrs.filter((a) => a[k] === v).length;
  // 100 × (0.42, 0.19, 0.15, 0.17, 0.07) are whole numbers, so largest remainder gives them exactly.
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((r) => count("race", r)),
    [42, 19, 15, 17, 7],
  );
  assert.equal(count("gender", 1), 48);
  // A cheek patch (x 11–13, y 18–20 of 32) averaged over each race's faces: skin tone #f3d6bd vs #5e3b26.
  const x = await pixels(g.set, [...Array(100).keys()], 32);
  const cheek = tidy(() => x.view(100, 3, 32, 32).narrow(2, 18, 3).narrow(3, 11, 3).mean([1, 2, 3]).toNumbers());
  x.dispose();
  const meanOf = (r: number) => {
    const v = cheek.filter((_, i) => g.attrs[i]?.race === r);
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  assert.ok(meanOf(0) > meanOf(1) + 0.25, `White ${meanOf(0)} vs Black ${meanOf(1)}`);
});

test("the bias study's options at their defaults (scale 1, whole canvas, colour backdrop) render the default faces", async () => {
  const o = { identities: 12, imagesPerIdentity: 2, side: 24, seed: 9, cacheDir: null };
  const a = await renderSynthFaces(o);
  const b = await renderSynthFaces({ ...o, identityScale: 1, crop: 1, background: "colour" });
  const all = [...Array(24).keys()];
  assert.deepEqual(await b.read(all), await a.read(all));
});

test("crop 0.7 is the face-centred 70-unit window of the whole canvas; grey backdrops have no hue", async () => {
  // At side 100 one canvas unit is one pixel, so the crop at side 70 is pixels x 15–84, y 17–86 of it.
  const o = { identities: 3, imagesPerIdentity: 1, seed: 2, cacheDir: null, variation: 0.5 };
  const whole = await (await renderSynthFaces({ ...o, side: 100 })).read([0, 1, 2]);
  const crop = await (await renderSynthFaces({ ...o, side: 70, crop: 0.7 })).read([0, 1, 2]);
  let diff = 0;
  for (let n = 0; n < 3; n++)
    for (let y = 0; y < 70; y++)
      for (let x = 0; x < 70; x++)
        for (let c = 0; c < 3; c++)
          diff += Math.abs(
            (crop[((n * 70 + y) * 70 + x) * 3 + c] as number) -
              (whole[((n * 100 + y + 17) * 100 + x + 15) * 3 + c] as number),
          );
  // Measured 0.0002 (rounding); the window moved 2 px down differs by 12.
  assert.ok(diff / (3 * 70 * 70 * 3) < 1, `mean absolute difference ${diff / (3 * 70 * 70 * 3)} (0–255)`);
  const grey = await renderSynthFaces({ ...o, identities: 20, side: 16, background: "grey", variation: 1 });
  const px = await grey.read([...Array(20).keys()]);
  for (let n = 0; n < 20; n++) {
    const rgb = [0, 1, 2].map((c) => px[n * 16 * 16 * 3 + c] as number); // top-left corner: backdrop
    assert.ok(Math.max(...rgb) - Math.min(...rgb) <= 1, `image ${n} corner rgb ${rgb}`);
  }
});

test("identityScale spreads people apart; a planted group stays close in the bias study's look", async () => {
  const o = { identities: 100, imagesPerIdentity: 1, side: 32, seed: 3, cacheDir: null, variation: 0 };
  const meanDist = async (set: ImageSet, g: number) => {
    const idx = set.items.flatMap((it, i) => (it.attrs?.group === g && it.attrs?.gender === 0 ? [i] : []));
    const x = await pixels(set, idx, 32);
    return (
      tidy(() => x.unsqueeze(0).sub(x.unsqueeze(1)).square().sum(2).sqrt().sum().item()) /
      (idx.length * (idx.length - 1))
    );
  };
  const plain = await renderSynthFaces(o);
  const scaled = await renderSynthFaces({ ...o, identityScale: 2.5 });
  for (const g of [0, 1]) {
    const [d1, d25] = [await meanDist(plain, g), await meanDist(scaled, g)];
    // Pixel distance grows less than linearly (features overlap less as they move): measured 1.51× and 1.63×.
    assert.ok(d25 > 1.3 * d1, `group ${g}: distance ${d25} at scale 2.5 vs ${d1} at 1`);
  }
  const bias = await renderSynthFaces({
    ...o,
    variation: 0.3,
    crop: 0.7,
    identityScale: 2.5,
    background: "grey",
    groupSpread: [1, 0.2, 1, 1, 1],
  });
  const [near, other] = [await meanDist(bias, 1), await meanDist(bias, 0)];
  assert.ok(near < 0.7 * other, `planted group 1 distance ${near} vs group 0 ${other}`); // measured 0.58×
});

test("bad renderer options are errors that name the option", async () => {
  const o = { identities: 2, imagesPerIdentity: 1, side: 16, seed: 1, cacheDir: null };
  await assert.rejects(renderSynthFaces({ ...o, crop: 0.3 }), /crop must be in \[0\.5, 1\], got 0\.3/);
  await assert.rejects(renderSynthFaces({ ...o, identityScale: 5 }), /identityScale must be in \[0, 4\], got 5/);
  await assert.rejects(
    renderSynthFaces({ ...o, background: "blue" as "grey" }),
    /background must be "colour" or "grey", got "blue"/,
  );
});

// Synthetic faces: built-in data for demos and tests (no labelled demographic data exists offline,
// reference/offline-data-and-models.md). Each identity has stable geometry and colouring; each
// image varies pose (roll, yaw, scale, shift), lighting, expression and background. Two attributes
// change appearance in learnable ways: a binary "gender-like" attribute (hair length, jaw width,
// brow weight, lip colour) and a 5-level "group" attribute (skin tone and hair palette). A study can
// plant a known effect: `groupSpread` shrinks one group's between-identity variation so its people
// are harder to tell apart. Faces are SVG rendered by sharp (librsvg) in parallel; all from a seed.
// Defaults give the look the SimCLR face study uses; the bias study (src/studies/bias/data.ts) asks for
// tight crops, stronger identity differences and grey backdrops so who someone is shows at 24–32 px.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { CachedImageSet, defaultCacheDir } from "./cache.js";
import { mapLimit } from "./decode.js";
import { type ImageSet, type ItemMeta, MemoryImageSet } from "./imageset.js";
import { deriveSeed, Rng } from "./rng.js";
import { allocate } from "./splits.js";
import { UTK_GENDERS, UTK_RACES } from "./utkface.js";

export const SYNTH_GENDERS = ["gender-0", "gender-1"] as const;
export const SYNTH_GROUPS = ["group-0", "group-1", "group-2", "group-3", "group-4"] as const;

// Skin tones light → dark, and each group's hair palette.
const SKIN = ["#f3d6bd", "#dcae88", "#bb8660", "#8e5c3e", "#5e3b26"];
const HAIR = [
  ["#d8b060", "#a0703a", "#6b4423"],
  ["#4a3020", "#2b1d14", "#6b4423"],
  ["#1c1410", "#2b1d14", "#3a2a1e"],
  ["#120c08", "#1c1410", "#2b1d14"],
  ["#0c0806", "#1c1410", "#3a2a1e"],
];

export interface SynthOptions {
  identities: number;
  imagesPerIdentity: number;
  /** output side in pixels */
  side: number;
  seed: number;
  /** fraction of identities with gender-like attribute 1 (exact, per group) */
  genderP?: number;
  /** identity proportions per group (5 values; exact by largest remainder) */
  groupProbs?: number[];
  /** between-identity variation per group (1 = normal; 0.3 = people of that group look alike) */
  groupSpread?: number[];
  /** within-identity (per image) variation: 0 renders every image of a person in the canonical pose */
  variation?: number;
  /**
   * Multiplies every identity's continuous deviations from its group's face (shape, feature sizes and
   * places, skin and hair shade) for all groups; 1 (default) is the renderer's look. Larger values keep
   * people apart at small sizes, where the per-image variation otherwise outweighs who someone is.
   */
  identityScale?: number;
  /**
   * The part of the 100-unit canvas kept around the face, as a fraction of its side: 1 (default) shows
   * head, neck and background; 0.7 is a tight face crop (as UTKFace's aligned crops), so the face's
   * features take more of a small image's pixels.
   */
  crop?: number;
  /**
   * "colour" (default): each image's background has a random hue. "grey": its lightness still varies
   * but it has no hue, so a small network cannot tell people apart by their photo's backdrop colour.
   */
  background?: "colour" | "grey";
  /** cache folder root (default: the image cache dir); null disables caching */
  cacheDir?: string | null;
  parallel?: number;
}

interface Identity {
  id: number;
  gender: number;
  group: number;
  skin: string;
  hair: string;
  eye: string;
  g: Record<string, number>;
}

/** Hex colour shifted in brightness by f (−1..1). */
function shade(hex: string, f: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const ch = [n >> 16, (n >> 8) & 255, n & 255].map((c) =>
    Math.round(Math.max(0, Math.min(255, f < 0 ? c * (1 + f) : c + (255 - c) * f))),
  );
  return `#${ch.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Lower bounds that keep a drawn face drawable (radii and stroke widths positive, long hair long) when
 * identityScale stretches the deviations; at scale 1 each is over 4 standard deviations away.
 */
const FLOOR: Record<string, number> = { faceRx: 10, faceRy: 12, jaw: 0.3, eyeDx: 3, eyeR: 0.5, browW: 0.1, earR: 0.5 };

function atLeast(g: Record<string, number>): Record<string, number> {
  for (const [k, min] of Object.entries(FLOOR)) g[k] = Math.max(min, g[k] as number);
  if ((g.hairLen as number) !== 0) g.hairLen = Math.max(4, g.hairLen as number);
  return g;
}

function makeIdentities(o: SynthOptions): Identity[] {
  const groupProbs = o.groupProbs ?? [1, 1, 1, 1, 1];
  if (groupProbs.length !== SYNTH_GROUPS.length) throw new RangeError(`groupProbs needs ${SYNTH_GROUPS.length} values`);
  const rng = new Rng(deriveSeed(o.seed, 0xa77));
  // Exact group counts; within the group-sorted list, gender 1 is spread evenly (Bresenham), so the
  // total is round(n·genderP) and every group gets close to the same share.
  const perGroup = allocate(o.identities, groupProbs);
  const p1 = o.genderP ?? 0.5;
  const assign: { group: number; gender: number }[] = [];
  perGroup.forEach((n, group) => {
    for (let k = 0; k < n; k++) {
      const i = assign.length;
      assign.push({ group, gender: Math.floor((i + 1) * p1 + 0.5) > Math.floor(i * p1 + 0.5) ? 1 : 0 });
    }
  });
  rng.shuffle(assign);
  return assign.map(({ group, gender }, id) => {
    const r = new Rng(deriveSeed(o.seed, 1, id));
    const s = o.groupSpread?.[group] ?? 1;
    const k = o.identityScale ?? 1;
    const z = (sd: number) => k * s * sd * r.normal();
    const palette = HAIR[group] as string[];
    return {
      id,
      gender,
      group,
      skin: shade(SKIN[group] as string, z(0.06)),
      // discrete traits vary only with probability `s` (a low-spread group mostly shares them)
      hair: shade(palette[r.bernoulli(s) ? r.int(0, palette.length) : 0] as string, z(0.1)),
      eye: ["#3b2a1a", "#2f4f6f", "#3d5a2a", "#1a1a1a"][r.bernoulli(s) ? r.int(0, 4) : 0] as string,
      g: atLeast({
        faceRx: 24 + (gender === 0 ? 2 : 0) + z(2.2),
        faceRy: 31 + z(2.2),
        jaw: (gender === 0 ? 0.92 : 0.72) + z(0.06),
        eyeDx: 10.5 + z(1.4),
        eyeY: 46 + z(2),
        eyeR: 3.6 + z(0.5),
        browLift: 5.5 + z(1),
        browTilt: z(2),
        browW: (gender === 0 ? 2.6 : 1.3) + z(0.3),
        noseLen: 10 + z(1.8),
        noseW: 3 + z(0.8),
        mouthW: 8 + z(1.5),
        mouthY: 68 + z(1.8),
        hairline: 27 + z(2.5),
        hairLen: gender === 1 ? 34 + z(5) : 0,
        earR: 4.5 + z(0.8),
      }),
    };
  });
}

/** The canvas window of `crop` (a fraction of the side) centred on the face (50, 52). */
const viewBox = (crop: number) =>
  crop === 1
    ? "0 0 100 100"
    : `${50 - 50 * crop} ${Math.min(100 - 100 * crop, 52 - 50 * crop)} ${100 * crop} ${100 * crop}`;

/** The SVG of one image of a person; `r` draws this image's pose, light, expression, background. */
function faceSvg(p: Identity, r: Rng, side: number, o: SynthOptions): string {
  const crop = o.crop ?? 1;
  const grey = o.background === "grey";
  const v = o.variation ?? 1;
  const g = p.g as Record<string, number> & { faceRx: number; faceRy: number };
  const roll = v * 8 * r.normal();
  const yaw = v * 0.35 * r.uniform(-1, 1); // −0.35..0.35 ≈ ±20°
  const sc = 1 + v * 0.05 * r.normal();
  const tx = v * 3 * r.normal();
  const ty = v * 3 * r.normal();
  const smile = v > 0 ? r.uniform(-0.3, 1) : 0.4;
  const open = v > 0 ? r.uniform(0.55, 1) : 0.9;
  const bgHue = Math.floor(r.uniform(0, 360));
  const bgL = Math.floor(60 + v * r.uniform(-25, 20));
  const lightA = r.uniform(0, 360);
  const lightS = v * r.uniform(0, 0.45);
  const cx = 50;
  const cy = 52;
  const rx = g.faceRx * Math.cos(yaw);
  const dx = 18 * Math.sin(yaw); // features shift toward the turned side
  const f = (k: string) => g[k] as number;
  const ex = (s: number) => cx + dx + s * f("eyeDx") * Math.cos(yaw);
  const eyeRy = f("eyeR") * open;
  const lip = p.gender === 1 ? "#b0303c" : shade(p.skin, -0.35);
  const hair = p.hair;
  const top = cy - g.faceRy;
  const lx = 50 + 50 * Math.cos((lightA * Math.PI) / 180);
  const ly = 50 + 50 * Math.sin((lightA * Math.PI) / 180);
  const longHair =
    f("hairLen") > 0
      ? `<path d="M${cx - rx - 7},${cy - 8} Q${cx},${top - 14} ${cx + rx + 7},${cy - 8} L${cx + rx + 6},${cy + f("hairLen")} L${cx - rx - 6},${cy + f("hairLen")} Z" fill="${hair}"/>`
      : "";
  const eye = (s: number) =>
    `<ellipse cx="${ex(s)}" cy="${f("eyeY")}" rx="${f("eyeR") * 1.5}" ry="${eyeRy}" fill="#fafafa"/>` +
    `<circle cx="${ex(s) + dx * 0.08}" cy="${f("eyeY")}" r="${Math.min(f("eyeR") * 0.75, eyeRy)}" fill="${p.eye}"/>`;
  const brow = (s: number) => {
    const by = f("eyeY") - f("browLift");
    return `<line x1="${ex(s) - 5}" y1="${by + s * f("browTilt") * 0.3}" x2="${ex(s) + 5}" y2="${by - s * f("browTilt") * 0.3}" stroke="${shade(hair, -0.2)}" stroke-width="${f("browW")}" stroke-linecap="round"/>`;
  };
  const ny = f("eyeY") + 3;
  const my = f("mouthY");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}" viewBox="${viewBox(crop)}">
<defs><linearGradient id="l" x1="${lx}%" y1="${ly}%" x2="${100 - lx}%" y2="${100 - ly}%"><stop offset="0" stop-color="#fff" stop-opacity="${lightS}"/><stop offset="1" stop-color="#000" stop-opacity="${lightS}"/></linearGradient></defs>
<rect width="100" height="100" fill="hsl(${bgHue},${grey ? 0 : Math.round(35 * Math.min(1, v))}%,${bgL}%)"/>
<g transform="translate(${tx} ${ty}) rotate(${roll} 50 55) translate(50 55) scale(${sc}) translate(-50 -55)">
${longHair}
<rect x="${cx - 9}" y="${cy + 20}" width="18" height="40" fill="${shade(p.skin, -0.08)}"/>
<ellipse cx="${cx + dx * 0.3 - rx}" cy="${f("eyeY") + 6}" rx="${f("earR") * 0.8}" ry="${f("earR") * 1.3}" fill="${shade(p.skin, -0.1)}"/>
<ellipse cx="${cx + dx * 0.3 + rx}" cy="${f("eyeY") + 6}" rx="${f("earR") * 0.8}" ry="${f("earR") * 1.3}" fill="${shade(p.skin, -0.1)}"/>
<ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${g.faceRy}" fill="${p.skin}"/>
<ellipse cx="${cx + dx * 0.2}" cy="${cy + g.faceRy * 0.45}" rx="${rx * f("jaw")}" ry="${g.faceRy * 0.55}" fill="${p.skin}"/>
<path d="M${cx - rx - 1},${cy - 4} Q${cx},${top - 12} ${cx + rx + 1},${cy - 4} Q${cx + dx},${f("hairline")} ${cx - rx - 1},${cy - 4} Z" fill="${hair}"/>
${brow(-1)}${brow(1)}${eye(-1)}${eye(1)}
<path d="M${cx + dx},${ny} L${cx + dx * 1.2 + f("noseW") * 0.6},${ny + f("noseLen")} L${cx + dx - f("noseW") * 0.6},${ny + f("noseLen")}" fill="none" stroke="${shade(p.skin, -0.3)}" stroke-width="1.2"/>
<path d="M${cx + dx - f("mouthW")},${my} Q${cx + dx},${my + smile * 7} ${cx + dx + f("mouthW")},${my}" fill="none" stroke="${lip}" stroke-width="${p.gender === 1 ? 2.6 : 1.6}" stroke-linecap="round"/>
</g>
<rect width="100" height="100" fill="url(#l)"/>
</svg>`;
}

function optionsKey(o: SynthOptions): string {
  const { cacheDir: _c, parallel: _p, ...rest } = o;
  return createHash("sha256")
    .update(JSON.stringify({ v: 1, ...rest }))
    .digest("hex")
    .slice(0, 16);
}

/** Renders (or loads from the cache) a synthetic face set; identity is the label. */
export async function renderSynthFaces(o: SynthOptions): Promise<ImageSet> {
  if (!(o.identities > 0 && o.imagesPerIdentity > 0 && o.side >= 8))
    throw new RangeError("synthetic faces need identities > 0, imagesPerIdentity > 0 and side >= 8");
  if (o.crop !== undefined && !(o.crop >= 0.5 && o.crop <= 1))
    throw new RangeError(`synthetic faces: crop must be in [0.5, 1], got ${o.crop}`);
  if (o.background !== undefined && o.background !== "colour" && o.background !== "grey")
    throw new RangeError(`synthetic faces: background must be "colour" or "grey", got ${JSON.stringify(o.background)}`);
  if (o.identityScale !== undefined && !(o.identityScale >= 0 && o.identityScale <= 4))
    throw new RangeError(`synthetic faces: identityScale must be in [0, 4], got ${o.identityScale}`);
  const key = optionsKey(o);
  const root = o.cacheDir === null ? null : (o.cacheDir ?? defaultCacheDir());
  const dir = root ? join(root, `synth-${o.side}-${key}`) : null;
  if (dir && existsSync(join(dir, "index.json"))) return CachedImageSet.open(dir);

  const people = makeIdentities(o);
  const jobs = people.flatMap((p) => Array.from({ length: o.imagesPerIdentity }, (_, k) => ({ p, k })));
  const per = o.side * o.side * 3;
  const pixels = new Uint8Array(jobs.length * per);
  await mapLimit(jobs, o.parallel ?? 8, async ({ p, k }, i) => {
    const svg = faceSvg(p, new Rng(deriveSeed(o.seed, 2, p.id, k)), o.side, o);
    const buf = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
    pixels.set(buf, i * per);
  });
  const items: ItemMeta[] = jobs.map(({ p, k }) => ({
    dataset: "synth",
    source: `synth:${key}/${p.id}/${k}`,
    label: p.id,
    identity: p.id,
    attrs: { gender: p.gender, group: p.group },
  }));
  const set = new MemoryImageSet("synth", pixels, o.side, o.side, 3, items);
  if (dir) writeSetCache(dir, set, key, { ...o, cacheDir: undefined });
  return set;
}

/**
 * UTKFace's race classes in the order of its file names (White, Black, Asian, Indian, Others) as the
 * renderer's skin-tone groups (light → dark): White 0, Black 4, Asian 1, Indian 3, Others 2.
 */
const GROUP_OF_RACE = [0, 4, 1, 3, 2];
/** Race shares, roughly UTKFace's (White 42%, Black 19%, Asian 15%, Indian 17%, Others 7%). */
const RACE_SHARE = [0.42, 0.19, 0.15, 0.17, 0.07];

/**
 * Faces labelled like UTKFace (gender male/female, race in UTK_RACES order), one photo per person,
 * classes imbalanced as UTKFace's: the SimCLR face study without external data. Gender is the
 * renderer's gender-like attribute (female: 1, long hair), race its skin-tone group.
 */
export async function renderUtkLikeFaces(
  count: number,
  side: number,
  seed: number,
  cacheDir?: string | null,
): Promise<{
  set: ImageSet;
  attrs: { gender: number; race: number }[];
  classNames: Record<string, readonly string[]>;
}> {
  const groupProbs = GROUP_OF_RACE.map((_, g) => RACE_SHARE[GROUP_OF_RACE.indexOf(g)] as number);
  const set = await renderSynthFaces({
    identities: count,
    imagesPerIdentity: 1,
    side,
    seed,
    genderP: 0.48,
    groupProbs,
    ...(cacheDir !== undefined && { cacheDir }),
  });
  const attrs = set.items.map((it) => ({
    gender: it.attrs?.gender as number,
    race: GROUP_OF_RACE.indexOf(it.attrs?.group as number),
  }));
  return { set, attrs, classNames: { gender: UTK_GENDERS, race: UTK_RACES } };
}

/** Stores an in-memory set in the cache layout (one shard + index.json), published atomically. */
function writeSetCache(dir: string, set: MemoryImageSet, key: string, settings: object): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, "shard-0000.u8"), set.pixels);
  const index = {
    version: 1,
    key,
    name: set.name,
    height: set.height,
    width: set.width,
    channels: set.channels,
    shardSize: set.count,
    shards: [{ file: "shard-0000.u8", count: set.count }],
    items: set.items,
    skipped: [],
    settings,
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(tmp, "index.json"), JSON.stringify(index));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

// The in-memory (or cache-backed) image collection every reader produces: uint8 pixels in
// N×H×W×C order (what sharp and the IDX/CIFAR files give), with optional labels, identities,
// attributes and the source of each item. Epochs read from here, never from the original files.

/** Where an item came from: the dataset name and the file (or file + record number). */
export interface Provenance {
  dataset: string;
  source: string;
}

export interface ItemMeta extends Provenance {
  label?: number;
  identity?: number;
  /** named integer attributes, e.g. { gender: 1, race: 2, age: 31 } */
  attrs?: Record<string, number>;
}

/**
 * What a reader noticed and did not load, and why: a bad item skipped in lenient mode ("invalid",
 * the default), a file the walker refused to open ("refused": a link out of the dataset folder, a
 * loop, a FIFO, socket or device), a dot-file it ignored ("ignored"), or a lenient-mode warning.
 */
export type SkipKind = "invalid" | "refused" | "ignored" | "warning";

export interface Skip {
  source: string;
  reason: string;
  kind?: SkipKind;
  /** how many items this entry stands for (default 1; e.g. the records a truncated file lacks) */
  count?: number;
}

/** Counts of what a read loaded and left out (`facelab data stats/prepare`, a run's env.json). */
export interface DataCounts {
  loaded: number;
  skipped_invalid: number;
  refused: number;
  ignored: number;
  warnings: number;
}

export interface ImageSet {
  readonly name: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** class names when the set is labelled (index = label) */
  readonly classes?: readonly string[];
  readonly items: readonly ItemMeta[];
  readonly skipped: readonly Skip[];
  /** Pixels of the given items, concatenated as len×H×W×C uint8. */
  read(indices: ArrayLike<number>): Promise<Uint8Array>;
}

export const imageBytes = (s: Pick<ImageSet, "height" | "width" | "channels">): number =>
  s.height * s.width * s.channels;

/** An ImageSet whose pixels all sit in one buffer. */
export class MemoryImageSet implements ImageSet {
  readonly count: number;
  constructor(
    readonly name: string,
    readonly pixels: Uint8Array,
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    readonly items: readonly ItemMeta[],
    readonly skipped: readonly Skip[] = [],
    readonly classes?: readonly string[],
  ) {
    this.count = items.length;
    const need = this.count * imageBytes(this);
    if (pixels.length !== need)
      throw new RangeError(`${name}: pixel buffer holds ${pixels.length} bytes, ${this.count} items need ${need}`);
  }

  readSync(indices: ArrayLike<number>): Uint8Array {
    const per = imageBytes(this);
    const out = new Uint8Array(indices.length * per);
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i] as number;
      if (!(k >= 0 && k < this.count)) throw new RangeError(`${this.name}: index ${k} out of range [0, ${this.count})`);
      out.set(this.pixels.subarray(k * per, (k + 1) * per), i * per);
    }
    return out;
  }

  async read(indices: ArrayLike<number>): Promise<Uint8Array> {
    return this.readSync(indices);
  }
}

/** Labels of a labelled set as an Int32Array (throws if an item has none). */
export function labelsOf(set: Pick<ImageSet, "items" | "name">, key = "label"): Int32Array {
  const out = new Int32Array(set.items.length);
  set.items.forEach((it, i) => {
    const v = key === "label" ? it.label : key === "identity" ? it.identity : it.attrs?.[key];
    if (v === undefined) throw new Error(`${set.name}: item ${i} (${it.source}) has no '${key}'`);
    out[i] = v;
  });
  return out;
}

/** A view of a subset of another set (a split), keeping its metadata. */
export class SubsetImageSet implements ImageSet {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly items: readonly ItemMeta[];
  readonly skipped: readonly Skip[] = [];
  readonly classes?: readonly string[];
  constructor(
    readonly name: string,
    readonly base: ImageSet,
    readonly indices: Int32Array,
  ) {
    this.count = indices.length;
    this.height = base.height;
    this.width = base.width;
    this.channels = base.channels;
    this.classes = base.classes;
    this.items = Array.from(indices, (i) => base.items[i] as ItemMeta);
  }
  read(indices: ArrayLike<number>): Promise<Uint8Array> {
    return this.base.read(Array.from(indices as ArrayLike<number>, (i) => this.indices[i] as number));
  }
}

/**
 * The union of several sets of one image size into one unlabeled pool (the seed pooled UTKFace,
 * FFHQ and CelebA for SimCLR pretraining). Labels are dropped; provenance stays on every item.
 */
export class UnionImageSet implements ImageSet {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly items: ItemMeta[];
  readonly skipped: Skip[];
  readonly #offsets: number[];

  constructor(
    readonly name: string,
    readonly parts: readonly ImageSet[],
  ) {
    if (parts.length === 0) throw new Error("union needs at least one dataset");
    const first = parts[0] as ImageSet;
    for (const p of parts)
      if (p.height !== first.height || p.width !== first.width || p.channels !== first.channels)
        throw new Error(
          `union: '${p.name}' is ${p.height}×${p.width}×${p.channels} but '${first.name}' is ${first.height}×${first.width}×${first.channels}; prepare both at the same side`,
        );
    this.height = first.height;
    this.width = first.width;
    this.channels = first.channels;
    this.#offsets = [];
    this.items = [];
    this.skipped = [];
    for (const p of parts) {
      this.#offsets.push(this.items.length);
      for (const it of p.items) this.items.push({ dataset: it.dataset, source: it.source, attrs: it.attrs });
      this.skipped.push(...p.skipped);
    }
    this.count = this.items.length;
  }

  async read(indices: ArrayLike<number>): Promise<Uint8Array> {
    const per = imageBytes(this);
    const out = new Uint8Array(indices.length * per);
    // Group by part so each part is read once, then scatter back into request order.
    const byPart = this.parts.map(() => [] as { pos: number; local: number }[]);
    for (let i = 0; i < indices.length; i++) {
      const g = indices[i] as number;
      if (!(g >= 0 && g < this.count)) throw new RangeError(`${this.name}: index ${g} out of range [0, ${this.count})`);
      let p = this.#offsets.length - 1;
      while ((this.#offsets[p] as number) > g) p--;
      byPart[p]?.push({ pos: i, local: g - (this.#offsets[p] as number) });
    }
    await Promise.all(
      byPart.map(async (reqs, p) => {
        if (reqs.length === 0) return;
        const px = await (this.parts[p] as ImageSet).read(reqs.map((r) => r.local));
        reqs.forEach((r, k) => {
          out.set(px.subarray(k * per, (k + 1) * per), r.pos * per);
        });
      }),
    );
    return out;
  }
}

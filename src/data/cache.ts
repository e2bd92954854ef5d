// The uint8 image cache: images are decoded once (sharp, in parallel, with a progress bar) into
// fixed-size shards of raw N×H×W×C bytes plus index.json (labels, identities, attributes, source
// paths, provenance, skipped files). A cache is keyed by a hash of its inputs (paths, sizes,
// mtimes, metadata) and settings, so an unchanged dataset is reused and a changed one rebuilt.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { type Box, type DecodeOptions, decodeImage, mapLimit } from "./decode.js";
import { type ImageSet, type ItemMeta, imageBytes, type Skip } from "./imageset.js";
import { DataError, Problems, recordRead } from "./options.js";
import { readRegularAsync } from "./walk.js";

const CACHE_VERSION = 1;
/** Largest image file decoded (an FFHQ 1024² PNG is ~1.5 MB); sharp also caps pixels (limitInputPixels). */
const MAX_IMAGE_BYTES = 256 * 2 ** 20;

/** One file to decode, with what is known about it. */
export interface CacheEntry {
  /** the file as listed (provenance, cache key) */
  path: string;
  /** the file to open when `path` is a link the walker resolved (default: path) */
  real?: string;
  meta: ItemMeta;
  box?: Box;
}

export interface BuildCacheOptions extends DecodeOptions {
  /** dataset name (first part of the cache folder name) */
  name: string;
  /** root folder for caches: $FACELAB_CACHE or ./.cache/images */
  cacheDir?: string;
  classes?: readonly string[];
  /** problems found while listing (bad names, missing entries), stored with the decode skips */
  skipped?: readonly Skip[];
  strict?: boolean;
  /** decodes in flight (default: cores × 2) */
  parallel?: number;
  shardSize?: number;
  /** show a progress bar (default: when stderr is a terminal and FACELAB_QUIET is unset) */
  progress?: boolean;
  /** keep every shard in memory after opening (default when the cache is under 512 MiB) */
  inMemory?: boolean;
}

interface CacheIndex {
  version: number;
  key: string;
  name: string;
  height: number;
  width: number;
  channels: number;
  classes?: readonly string[];
  shardSize: number;
  shards: { file: string; count: number }[];
  items: ItemMeta[];
  skipped: Skip[];
  settings: Record<string, unknown>;
  createdAt: string;
}

export const defaultCacheDir = (): string => process.env.FACELAB_CACHE ?? join(process.cwd(), ".cache", "images");

/** The hash that decides reuse: settings plus each input's path, size, mtime and metadata. */
export function cacheKey(entries: readonly CacheEntry[], o: BuildCacheOptions): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ v: CACHE_VERSION, side: o.side, crop: o.crop ?? "center", ch: o.channels ?? 3 }));
  h.update(JSON.stringify({ classes: o.classes ?? null, skipped: o.skipped ?? [], strict: o.strict ?? true }));
  for (const e of entries) {
    let stamp = "missing";
    try {
      const st = statSync(e.path);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {}
    h.update(JSON.stringify([e.path, stamp, e.meta, e.box ?? null]));
  }
  return h.digest("hex").slice(0, 16);
}

/** Opens the cache for these entries and settings, building it first if it is missing or stale. */
export async function buildCache(entries: readonly CacheEntry[], o: BuildCacheOptions): Promise<CachedImageSet> {
  const set = await buildOrOpen(entries, o);
  recordRead(set);
  return set;
}

async function buildOrOpen(entries: readonly CacheEntry[], o: BuildCacheOptions): Promise<CachedImageSet> {
  const key = cacheKey(entries, o);
  const dir = join(o.cacheDir ?? defaultCacheDir(), `${o.name.replace(/[^\w.-]+/g, "_")}-${o.side}-${key}`);
  if (existsSync(join(dir, "index.json"))) return CachedImageSet.open(dir, o.inMemory);

  const problems = new Problems(o.name, o.strict ?? true);
  problems.skipped.push(...(o.skipped ?? []));
  const ch = o.channels ?? 3;
  const shardSize = o.shardSize ?? 4096;
  const tmp = `${dir}.tmp-${process.pid}`;
  // No partial output (#14): the temp folder goes on failure, on exit and on SIGINT/SIGTERM, and a
  // cache root this build created is removed again when nothing was published into it.
  const root = o.cacheDir ?? defaultCacheDir();
  const createdRoot = !existsSync(root) ? root : undefined;
  // Handlers first: a SIGTERM between mkdirSync and their registration would take the default action
  // (die at once) and leave the temp folder behind (a CI flake of test/data/counts.test.ts).
  const release = removeOnExit(tmp, createdRoot);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const showBar = o.progress ?? (process.stderr.isTTY === true && !process.env.FACELAB_QUIET);
  const bar = showBar
    ? new cliProgress.SingleBar(
        { format: `decoding ${o.name} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(entries.length, 0);
  const parallel = o.parallel ?? availableParallelism() * 2;
  const items: ItemMeta[] = [];
  const shards: CacheIndex["shards"] = [];
  let done = 0;
  try {
    for (let s = 0; s * shardSize < entries.length; s++) {
      const chunk = entries.slice(s * shardSize, (s + 1) * shardSize);
      const decoded = await mapLimit(chunk, parallel, async (e) => {
        try {
          // Read through the walker's opener (never blocks on a FIFO swapped in after listing).
          const bytes = await readRegularAsync({ path: e.path, real: e.real ?? e.path }, o.name, MAX_IMAGE_BYTES);
          return await decodeImage(bytes, o, e.box);
        } catch (err) {
          return err as Error;
        } finally {
          bar?.update(++done);
        }
      });
      const kept: Uint8Array[] = [];
      decoded.forEach((px, i) => {
        const e = chunk[i] as CacheEntry;
        if (px instanceof Error) problems.report(e.path, `cannot decode: ${px.message}`);
        else {
          kept.push(px);
          items.push(e.meta);
        }
      });
      if (kept.length === 0) continue;
      const file = `shard-${String(shards.length).padStart(4, "0")}.u8`;
      writeFileSync(join(tmp, file), Buffer.concat(kept));
      shards.push({ file, count: kept.length });
    }
  } catch (e) {
    release(true);
    throw e;
  } finally {
    bar?.stop();
  }
  const index: CacheIndex = {
    version: CACHE_VERSION,
    key,
    name: o.name,
    height: o.side,
    width: o.side,
    channels: ch,
    classes: o.classes,
    shardSize,
    shards,
    items,
    skipped: problems.skipped,
    settings: { side: o.side, crop: o.crop ?? "center", channels: ch, strict: o.strict ?? true },
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(tmp, "index.json"), JSON.stringify(index));
  // Publish atomically: a crash mid-build never leaves a half cache that looks complete.
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  release(false);
  return CachedImageSet.open(dir, o.inMemory);
}

/**
 * Removes `tmp` (and `root` if it is then empty) if the process exits or is interrupted before
 * `release` is called; `release(true)` removes them now. A signal is re-raised after the cleanup
 * when no other handler is listening, so the process still dies of it.
 */
function removeOnExit(tmp: string, root: string | undefined): (remove: boolean) => void {
  const clean = () => {
    rmSync(tmp, { recursive: true, force: true });
    if (root !== undefined)
      try {
        rmdirSync(root); // only when empty
      } catch {}
  };
  const onSignal = (sig: NodeJS.Signals) => {
    off();
    clean();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const off = () => {
    process.off("exit", clean);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("exit", clean);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return (remove) => {
    off();
    if (remove) clean();
  };
}

/** An ImageSet read from a cache folder: shards in memory, or read on demand with positional reads. */
export class CachedImageSet implements ImageSet {
  readonly name: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classes?: readonly string[];
  readonly items: readonly ItemMeta[];
  readonly skipped: readonly Skip[];
  readonly #starts: number[] = [];
  #memory: Buffer[] | null;

  private constructor(
    readonly dir: string,
    readonly index: CacheIndex,
    inMemory: boolean | undefined,
  ) {
    this.name = index.name;
    this.count = index.items.length;
    this.height = index.height;
    this.width = index.width;
    this.channels = index.channels;
    this.classes = index.classes;
    this.items = index.items;
    this.skipped = index.skipped;
    let start = 0;
    for (const s of index.shards) {
      this.#starts.push(start);
      start += s.count;
    }
    const bytes = this.count * imageBytes(this);
    const load = inMemory ?? bytes <= 512 * 2 ** 20;
    this.#memory = load ? index.shards.map((s) => readFileSync(join(dir, s.file))) : null;
    this.#memory?.forEach((b, i) => {
      if (b.length !== (index.shards[i]?.count ?? 0) * imageBytes(this))
        throw new DataError(`cache ${dir}: ${index.shards[i]?.file} has the wrong size; delete the folder to rebuild`);
    });
  }

  static open(dir: string, inMemory?: boolean): CachedImageSet {
    const path = join(dir, "index.json");
    if (!existsSync(path)) throw new DataError(`no image cache at ${dir} (missing index.json)`);
    let index: CacheIndex;
    try {
      index = JSON.parse(readFileSync(path, "utf8")) as CacheIndex;
    } catch (e) {
      throw new DataError(
        `cache ${dir}: index.json is unreadable (${(e as Error).message}); delete the folder to rebuild`,
      );
    }
    if (!Array.isArray(index?.items) || !Array.isArray(index.shards))
      throw new DataError(`cache ${dir}: index.json lacks items or shards; delete the folder to rebuild`);
    if (index.version !== CACHE_VERSION)
      throw new DataError(`cache ${dir} has version ${index.version}, this facelab reads ${CACHE_VERSION}`);
    return new CachedImageSet(dir, index, inMemory);
  }

  #locate(i: number): [number, number] {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`${this.name}: index ${i} out of range [0, ${this.count})`);
    let s = Math.min(Math.floor(i / this.index.shardSize), this.#starts.length - 1);
    while ((this.#starts[s] as number) > i) s--;
    while (s + 1 < this.#starts.length && (this.#starts[s + 1] as number) <= i) s++;
    return [s, i - (this.#starts[s] as number)];
  }

  async read(indices: ArrayLike<number>): Promise<Uint8Array> {
    const per = imageBytes(this);
    const out = new Uint8Array(indices.length * per);
    if (this.#memory) {
      for (let k = 0; k < indices.length; k++) {
        const [s, j] = this.#locate(indices[k] as number);
        out.set((this.#memory[s] as Buffer).subarray(j * per, (j + 1) * per), k * per);
      }
      return out;
    }
    // Positional reads run on libuv's pool, so they overlap with compute on the main thread.
    const byShard = new Map<number, { k: number; j: number }[]>();
    for (let k = 0; k < indices.length; k++) {
      const [s, j] = this.#locate(indices[k] as number);
      if (!byShard.has(s)) byShard.set(s, []);
      byShard.get(s)?.push({ k, j });
    }
    await Promise.all(
      [...byShard].map(async ([s, reqs]) => {
        const fh = await open(join(this.dir, this.index.shards[s]?.file as string), "r");
        try {
          await Promise.all(reqs.map((r) => fh.read(out, r.k * per, per, r.j * per)));
        } finally {
          await fh.close();
        }
      }),
    );
    return out;
  }
}

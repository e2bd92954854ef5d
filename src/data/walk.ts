// The one file-system walker every dataset reader lists and opens files through (#14). It is
// lstat-based: a symlink is followed only when its target stays inside the dataset folder (the
// "root"); a link that leaves the root, a link loop, a FIFO, a socket or a device file is refused
// without being opened (opening a FIFO blocks until a writer appears); dot-files and macOS
// AppleDouble `._*` files are ignored. Strict mode turns a refusal into an error naming the link
// and its target; lenient mode records it as a counted `refused` skip.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  type Stats,
} from "node:fs";
import { open } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { DataError, type Problems } from "./options.js";

/** A regular file found under the root. */
export interface WalkFile {
  /** the path as listed (under the root; a link keeps its own name) */
  path: string;
  /** path relative to the root, with the platform separator */
  rel: string;
  /** the resolved target (the file itself when it is not a link) */
  real: string;
  size: number;
}

export interface WalkOptions {
  /** which regular files to list (by base name); others are left out without a count */
  accept?: (name: string) => boolean;
  /** descend into sub-folders (default true) */
  recursive?: boolean;
  /** deepest folder level listed (default 64): deeper is refused */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;

function kindOf(st: Stats): string | undefined {
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return undefined;
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/** The root folder, resolved; a DataError naming it when it is missing or not a folder. */
export function openRoot(root: string, dataset: string): string {
  let real: string;
  try {
    real = realpathSync(resolve(root));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(`${dataset}: ${root}: ${code === "ENOENT" ? "not found" : `cannot open (${code})`}`);
  }
  const st = lstatSync(real);
  if (!st.isDirectory()) throw new DataError(`${dataset}: ${root}: expected a folder, found ${kindOf(st) ?? "a file"}`);
  return real;
}

type Checked = { ok: true; real: string; st: Stats } | { ok: false; reason: string; refused: boolean };

/**
 * lstat one path under realRoot; follows a link only to a target inside the root. Never opens.
 * `parentChecked`: the walker already checked the folder holding path, so only a link in the
 * last component can leave the root; otherwise (a named file such as "Anno/list.txt") a link in
 * any component counts, so the whole path is resolved.
 */
function check(realRoot: string, path: string, parentChecked: boolean): Checked {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === "ENOENT" ? "not found" : `cannot stat (${code})`, refused: false };
  }
  let real = path;
  if (st.isSymbolicLink() || !parentChecked) {
    try {
      real = realpathSync.native(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const reason = code === "ELOOP" ? "symlink loop (the link resolves to itself)" : `dangling symlink (${code})`;
      return { ok: false, reason, refused: code === "ELOOP" };
    }
    if (!inside(realRoot, real))
      return {
        ok: false,
        reason: `${st.isSymbolicLink() ? "symlink" : "path through a symlink"} to ${real}, outside the dataset folder ${realRoot}; not followed`,
        refused: true,
      };
    st = lstatSync(real);
  }
  const special = kindOf(st);
  if (special) return { ok: false, reason: `${special}; refused without opening it`, refused: true };
  if (!st.isFile() && !st.isDirectory()) return { ok: false, reason: "not a regular file or folder", refused: true };
  return { ok: true, real, st };
}

/**
 * Lists the regular files under root (sorted by relative path). Problems go to `problems`:
 * refusals are errors in strict mode and counted `refused` skips in lenient mode; dot-files are
 * counted as `ignored`; unreadable folders are errors.
 */
export function walk(root: string, problems: Problems, o: WalkOptions = {}): WalkFile[] {
  const realRoot = openRoot(root, problems.dataset);
  const maxDepth = o.maxDepth ?? DEFAULT_MAX_DEPTH;
  const files: WalkFile[] = [];
  const listed = new Set<string>();
  const visit = (dir: string, realDir: string, ancestors: Set<string>, depth: number) => {
    const st = lstatSync(realDir);
    const id = `${st.dev}:${st.ino}`;
    if (ancestors.has(id)) return problems.report(dir, `symlink loop: ${realDir} is a folder above it`, "refused");
    if (listed.has(id)) return problems.note(dir, `already listed as ${realDir}`, "ignored");
    listed.add(id);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      const reason = `cannot list folder (${(e as NodeJS.ErrnoException).code})`;
      if (depth === 0) throw new DataError(`${problems.dataset}: ${dir}: ${reason}`);
      return problems.report(dir, reason); // a sub-folder: strict error, lenient counted skip
    }
    const below = new Set(ancestors).add(id);
    for (const name of names) {
      const path = join(dir, name);
      if (name.startsWith(".")) {
        problems.note(path, name.startsWith("._") ? "AppleDouble file ignored" : "dot-file ignored", "ignored");
        continue;
      }
      const c = check(realRoot, path, true);
      if (!c.ok) {
        problems.report(path, c.reason, c.refused ? "refused" : "invalid");
        continue;
      }
      if (c.st.isDirectory()) {
        if (o.recursive === false) continue;
        if (depth + 1 > maxDepth) problems.report(path, `deeper than ${maxDepth} folder levels`, "refused");
        else visit(path, c.real, below, depth + 1);
      } else if (o.accept?.(name) ?? true) {
        files.push({ path, rel: relative(root, path), real: c.real, size: c.st.size });
      }
    }
  };
  visit(root, realRoot, new Set(), 0);
  return files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * One named file inside root (a CIFAR batch, an IDX file, a CelebA text file), checked like a
 * walked file. Returns undefined when the file does not exist (the caller decides what is missing)
 * or, in lenient mode, when it was refused (counted).
 */
export function findFile(root: string, name: string, problems: Problems): WalkFile | undefined {
  const realRoot = openRoot(root, problems.dataset);
  const path = join(root, name);
  const c = check(realRoot, path, false);
  if (!c.ok) {
    if (!c.refused && c.reason === "not found") return undefined;
    problems.report(path, c.reason, c.refused ? "refused" : "invalid");
    return undefined;
  }
  if (c.st.isDirectory()) {
    problems.report(path, "is a folder, expected a file");
    return undefined;
  }
  return { path, rel: name, real: c.real, size: c.st.size };
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

function openError(where: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException).code;
  return new DataError(`${where}: cannot open (${code === "ELOOP" ? "it became a symlink after listing" : code})`);
}

function checkOpened(st: Stats, where: string, maxBytes: number): void {
  if (st.isDirectory()) throw new DataError(`${where}: is a folder, expected a file`);
  if (!st.isFile()) throw new DataError(`${where}: ${kindOf(st) ?? "not a regular file"}; refused`);
  if (st.size > maxBytes)
    throw new DataError(`${where}: ${st.size} bytes, over the ${maxBytes}-byte limit for this kind of file`);
}

/**
 * Reads a whole regular file, refusing anything else without blocking: O_NONBLOCK makes opening a
 * FIFO return at once (then fstat refuses it), O_NOFOLLOW refuses a file swapped for a link since
 * it was walked. `maxBytes` bounds the allocation; errors name the file.
 */
export function readRegular(file: Pick<WalkFile, "path" | "real">, dataset: string, maxBytes: number): Buffer {
  const where = `${dataset}: ${file.path}`;
  let fd: number;
  try {
    fd = openSync(file.real, FLAGS);
  } catch (e) {
    throw openError(where, e);
  }
  try {
    const st = fstatSync(fd);
    checkOpened(st, where, maxBytes);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== st.size) throw new DataError(`${where}: file shrank while reading (${off} of ${st.size} bytes)`);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** readRegular on libuv's pool (image decoding reads many files at once). */
export async function readRegularAsync(
  file: Pick<WalkFile, "path" | "real">,
  dataset: string,
  maxBytes: number,
): Promise<Buffer> {
  const where = `${dataset}: ${file.path}`;
  const fh = await open(file.real, FLAGS).catch((e) => {
    throw openError(where, e);
  });
  try {
    checkOpened(await fh.stat(), where, maxBytes);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

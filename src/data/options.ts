// Options shared by the format readers, and the one place that decides what a problem becomes:
// an error (strict), a counted skip (lenient), or a note that never stops a read.
import type { DataCounts, Skip, SkipKind } from "./imageset.js";

export interface ReadOptions {
  /**
   * strict (default): the first bad file or record throws, naming it and what was wrong.
   * lenient: bad items are skipped and listed in `skipped` with the reason (one entry per bad item,
   * or one entry with a `count` for a run of records, e.g. those a truncated file lacks).
   */
  strict?: boolean;
}

/** Collects problems; throws at once in strict mode, records a counted skip in lenient mode. */
export class Problems {
  readonly skipped: Skip[] = [];
  constructor(
    readonly dataset: string,
    readonly strict: boolean,
  ) {}
  /** A bad item (kind "invalid") or a refused file (kind "refused"): strict throws, lenient counts it. */
  report(source: string, reason: string, kind: "invalid" | "refused" = "invalid", count = 1): void {
    if (this.strict) throw new DataError(`${this.dataset}: ${source}: ${reason}`);
    this.skipped.push(count === 1 ? { source, reason, kind } : { source, reason, kind, count });
  }
  /** Something that is never an error: an ignored dot-file, or (lenient only) a warning. */
  note(source: string, reason: string, kind: "ignored" | "warning"): void {
    this.skipped.push({ source, reason, kind });
  }
  /** Trailing bytes and similar: an error in strict mode, a warning in lenient mode. */
  warnOrThrow(source: string, reason: string): void {
    if (this.strict) throw new DataError(`${this.dataset}: ${source}: ${reason}`);
    this.note(source, reason, "warning");
  }
}

/** The four counts `facelab data stats/prepare` print and a run's env.json records (#14). */
export function countSkips(loaded: number, skipped: readonly Skip[]): DataCounts {
  const c: DataCounts = { loaded, skipped_invalid: 0, refused: 0, ignored: 0, warnings: 0 };
  const key: Record<SkipKind, keyof DataCounts> = {
    invalid: "skipped_invalid",
    refused: "refused",
    ignored: "ignored",
    warning: "warnings",
  };
  for (const s of skipped) c[key[s.kind ?? "invalid"]] += s.count ?? 1;
  return c;
}

/** "2 skipped_invalid, 1 refused" — what a read left out, for messages. */
export function leftOut(skipped: readonly Skip[]): string {
  const c = countSkips(0, skipped);
  const parts = (["skipped_invalid", "refused", "ignored"] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`);
  return parts.length ? parts.join(", ") : "nothing else found";
}

/** Counts of an ImageSet: its items and what its reader left out. */
export const dataCounts = (set: { count: number; skipped: readonly Skip[] }): DataCounts =>
  countSkips(set.count, set.skipped);

const reads = new Map<string, DataCounts>();

/**
 * Records a finished read (by set name) so the run's env.json can list what every dataset read in
 * this process loaded and left out; readers call it once per set they return.
 */
export function recordRead(set: { name: string; count: number; skipped: readonly Skip[] }): void {
  reads.set(set.name, dataCounts(set));
}

/** The reads recorded so far in this process, by set name (for env.json). */
export const dataReads = (): Record<string, DataCounts> => Object.fromEntries(reads);

/** A data problem the user can fix (missing file, wrong format): the CLI prints it as one line. */
export class DataError extends Error {
  override name = "DataError";
}

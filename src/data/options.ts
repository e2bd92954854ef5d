// Options shared by the format readers.
import type { Skip } from "./imageset.js";

export interface ReadOptions {
  /**
   * strict (default): the first bad file or record throws, naming it and what was wrong.
   * lenient: bad items are skipped and listed in `skipped` with the reason.
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
  report(source: string, reason: string): void {
    if (this.strict) throw new DataError(`${this.dataset}: ${source}: ${reason}`);
    this.skipped.push({ source, reason });
  }
}

/** A data problem the user can fix (missing file, wrong format): the CLI prints it as one line. */
export class DataError extends Error {
  override name = "DataError";
}

// A checkpoint folder of numbered files (step-00001200.safetensors, …) keeping the last N steps.
// Plain file handling with no LibTorch: it lives here, in the lowest TypeScript layer, so that both
// methods/ (SimCLR checkpoints) and runs/ (the run directory) can use it (DESIGN.md layer order).
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const NAME = /^step-(\d{8})(\.[\w.]+)$/;

export class CheckpointDir {
  readonly dir: string;
  readonly keepLast: number;

  constructor(dir: string, opts: { keepLast?: number } = {}) {
    this.dir = dir;
    this.keepLast = opts.keepLast ?? 3;
    if (!Number.isInteger(this.keepLast) || this.keepLast < 1) {
      throw new RangeError(`keepLast must be a positive integer, got ${this.keepLast}`);
    }
    mkdirSync(dir, { recursive: true });
  }

  /** Path for step's checkpoint, e.g. checkpoints/step-00001200.safetensors. */
  pathFor(step: number, ext = ".safetensors"): string {
    if (!Number.isInteger(step) || step < 0)
      throw new RangeError(`checkpoint step must be a non-negative integer, got ${step}`);
    return join(this.dir, `step-${String(step).padStart(8, "0")}${ext}`);
  }

  /**
   * Writes bytes for a step atomically (temp file then rename, so a crash never leaves half a file
   * under the final name) and prunes older checkpoints beyond keepLast.
   */
  save(step: number, data: Uint8Array, ext = ".safetensors"): string {
    const path = this.pathFor(step, ext);
    try {
      writeFileSync(`${path}.tmp`, data);
      renameSync(`${path}.tmp`, path);
    } catch (e) {
      rmSync(`${path}.tmp`, { force: true }); // no partial file left behind (disk full, #14)
      throw e;
    }
    this.prune();
    return path;
  }

  /** Checkpoints present, oldest first. */
  list(): { step: number; path: string }[] {
    return readdirSync(this.dir)
      .map((f) => ({ f, m: NAME.exec(f) }))
      .filter((x) => x.m !== null)
      .map((x) => ({ step: Number(x.m![1]), path: join(this.dir, x.f) }))
      .sort((a, b) => a.step - b.step);
  }

  latest(): { step: number; path: string } | undefined {
    return this.list().at(-1);
  }

  /** Deletes all but the newest keepLast checkpoint steps (all files of a step go together). */
  prune(): void {
    const steps = [...new Set(this.list().map((c) => c.step))];
    const drop = new Set(steps.slice(0, Math.max(0, steps.length - this.keepLast)));
    for (const c of this.list()) if (drop.has(c.step)) rmSync(c.path, { force: true });
  }
}

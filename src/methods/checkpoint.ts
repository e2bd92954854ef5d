// SimCLR checkpoints: per saved epoch three files in the run's checkpoints/ folder,
//   step-<epoch>.safetensors        model state dict (encoder.*, head.*; loads in PyTorch as is)
//   step-<epoch>.train.safetensors  optimiser and online-probe state (momentum buffers, probe weights)
//   step-<epoch>.json               metadata: epoch, global step, config hash, loss history, metrics
// Everything random in an epoch is reseeded from (run seed, epoch), so these files are all that resume
// needs to continue exactly as an uninterrupted run would.
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointDir } from "../torch/checkpoints.js";
import type { Tensor } from "../torch/index.js";
import { loadFile, serialize } from "../torch/safetensors.js";

export interface CheckpointFiles {
  epoch: number;
  model: string;
  train: string;
  meta: string;
}

export class SimclrCheckpoints {
  readonly dir: CheckpointDir;
  constructor(dir: string, keepLast = 1000) {
    this.dir = new CheckpointDir(dir, { keepLast });
  }

  /** Writes the three files of one epoch (each atomically). */
  save(
    epoch: number,
    model: Map<string, Tensor>,
    train: Map<string, Tensor>,
    meta: Record<string, unknown>,
  ): CheckpointFiles {
    const info = { format: "facelab-simclr", epoch: String(epoch) };
    // The JSON goes last: a checkpoint counts as complete only when its metadata exists.
    const modelPath = this.dir.save(epoch, serialize(model, info), ".safetensors");
    const trainPath = this.dir.save(epoch, serialize(train, info), ".train.safetensors");
    const metaPath = this.dir.save(
      epoch,
      new TextEncoder().encode(`${JSON.stringify({ epoch, ...meta }, null, 2)}\n`),
      ".json",
    );
    return { epoch, model: modelPath, train: trainPath, meta: metaPath };
  }

  /** Complete checkpoints (all three files present), oldest first. */
  list(): CheckpointFiles[] {
    const byEpoch = new Map<number, string[]>();
    for (const c of this.dir.list()) byEpoch.set(c.step, [...(byEpoch.get(c.step) ?? []), c.path]);
    const out: CheckpointFiles[] = [];
    for (const [epoch] of byEpoch) {
      const f = this.files(epoch);
      if (existsSync(f.model) && existsSync(f.train) && existsSync(f.meta)) out.push(f);
    }
    return out.sort((a, b) => a.epoch - b.epoch);
  }

  latest(): CheckpointFiles | undefined {
    return this.list().at(-1);
  }

  files(epoch: number): CheckpointFiles {
    return {
      epoch,
      model: this.dir.pathFor(epoch, ".safetensors"),
      train: this.dir.pathFor(epoch, ".train.safetensors"),
      meta: this.dir.pathFor(epoch, ".json"),
    };
  }
}

/** Reads a checkpoint's metadata JSON. */
export const readMeta = <T = Record<string, unknown>>(f: CheckpointFiles): T =>
  JSON.parse(readFileSync(f.meta, "utf8")) as T;

/** Loads a safetensors file's tensors (the caller owns and disposes them). */
export const loadTensors = (path: string): Map<string, Tensor> => loadFile(path);

/**
 * `--resume <runDir>`: copies a killed run's checkpoint files into the new run's checkpoints/ folder
 * (the new run continues from them; the old run is left as it was).
 */
export function copyCheckpoints(fromRun: string, toDir: string): void {
  const src = join(fromRun, "checkpoints");
  if (!existsSync(src)) throw new Error(`--resume: ${fromRun} has no checkpoints/ folder`);
  for (const f of readdirSync(src))
    if (f.startsWith("step-") && !f.endsWith(".tmp")) copyFileSync(join(src, f), join(toDir, f));
}

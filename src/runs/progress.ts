// A progress bar per epoch: batches done, loss, images/s and ETA. Three modes:
// "bar" (cli-progress on a TTY), "quiet" (nothing; FACELAB_QUIET=1) and "json" (one JSON line per
// epoch end on stdout, for scripts; FACELAB_LOG=json).
import cliProgress from "cli-progress";

export type ProgressMode = "bar" | "quiet" | "json";

export function defaultProgressMode(env: NodeJS.ProcessEnv = process.env): ProgressMode {
  if (env.FACELAB_QUIET === "1") return "quiet";
  if (env.FACELAB_LOG === "json") return "json";
  return "bar";
}

export interface EpochProgressOptions {
  epoch: number;
  epochs: number;
  /** Batches in the epoch. */
  total: number;
  label?: string;
  mode?: ProgressMode;
  stream?: NodeJS.WritableStream;
  /** Milliseconds; injectable for tests. */
  clock?: () => number;
}

export interface EpochStats {
  epoch: number;
  batches: number;
  images: number;
  loss: number;
  imagesPerSecond: number;
  seconds: number;
}

export class EpochProgress {
  private readonly opts: Required<Omit<EpochProgressOptions, "stream">> & { stream: NodeJS.WritableStream };
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly start: number;
  private done = 0;
  private images = 0;
  private lossSum = 0;

  constructor(opts: EpochProgressOptions) {
    const mode = opts.mode ?? defaultProgressMode();
    // JSON lines go to stdout for scripts to parse; the bar goes to stderr so stdout stays clean.
    const stream = opts.stream ?? (mode === "json" ? process.stdout : process.stderr);
    this.opts = { label: "train", clock: Date.now, ...opts, mode, stream };
    this.start = this.opts.clock();
    if (this.opts.mode === "bar") {
      const width = String(this.opts.epochs).length;
      this.bar = new cliProgress.SingleBar(
        {
          format: `${this.opts.label} epoch ${String(this.opts.epoch).padStart(width)}/${this.opts.epochs} [{bar}] {value}/{total} | loss {loss} | {rate} img/s | ETA {eta_formatted}`,
          stream: this.opts.stream,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.opts.total, 0, { loss: "-", rate: "-" });
    }
  }

  /** After each batch: its size and loss. The bar shows the running mean loss of the epoch. */
  tick(batchImages: number, loss: number): void {
    this.done++;
    this.images += batchImages;
    this.lossSum += loss;
    this.bar?.update(this.done, { loss: (this.lossSum / this.done).toFixed(4), rate: this.rate().toFixed(1) });
  }

  private rate(): number {
    const s = (this.opts.clock() - this.start) / 1000;
    return s > 0 ? this.images / s : 0;
  }

  /** Ends the epoch and returns its statistics (also printed as one JSON line in json mode). */
  stop(): EpochStats {
    const stats: EpochStats = {
      epoch: this.opts.epoch,
      batches: this.done,
      images: this.images,
      loss: this.done ? this.lossSum / this.done : Number.NaN,
      imagesPerSecond: this.rate(),
      seconds: (this.opts.clock() - this.start) / 1000,
    };
    this.bar?.stop();
    if (this.opts.mode === "json") {
      this.opts.stream.write(
        `${JSON.stringify({ event: "epoch", label: this.opts.label, epochs: this.opts.epochs, ...stats })}\n`,
      );
    }
    return stats;
  }
}

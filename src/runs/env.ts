// env.json: what a reader needs to reproduce or explain a run (versions, LibTorch build, device,
// threads, git commit, host, command line).
import { execFileSync } from "node:child_process";
import { cpus, hostname, platform, release } from "node:os";
import type { DataCounts } from "../data/imageset.js";
import { dataReads } from "../data/options.js";

export interface RunEnv {
  node: string;
  platform: string;
  hostname: string;
  cpus: number;
  argv: string[];
  cwd: string;
  device: string;
  git: { commit: string; dirty: boolean } | null;
  torch: { version: string; blas: string; threads: number; cuda: boolean; gloo: boolean; buildConfig: string } | null;
  torchError?: string;
  env: Record<string, string>;
  /** per dataset read in this process: loaded, skipped_invalid, refused, ignored, warnings (#14) */
  data?: Record<string, DataCounts>;
}

function gitInfo(cwd: string): RunEnv["git"] {
  try {
    const opts = {
      cwd,
      encoding: "utf8" as const,
      stdio: ["ignore", "pipe", "ignore"] as ["ignore", "pipe", "ignore"],
    };
    const commit = execFileSync("git", ["rev-parse", "HEAD"], opts).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], opts).trim() !== "";
    return { commit, dirty };
  } catch {
    return null; // not a git checkout, or git missing
  }
}

/** Collects the environment. The LibTorch part is loaded lazily so a run without the addon still records why. */
export async function collectEnv(opts: { device?: string; argv?: string[]; cwd?: string } = {}): Promise<RunEnv> {
  const cwd = opts.cwd ?? process.cwd();
  const out: RunEnv = {
    node: process.version,
    platform: `${platform()} ${release()}`,
    hostname: hostname(),
    cpus: cpus().length,
    argv: opts.argv ?? process.argv,
    cwd,
    device: opts.device ?? "cpu",
    git: gitInfo(cwd),
    torch: null,
    data: dataReads(),
    // Only the variables that change numerics or threading.
    env: Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => /^(FACELAB_|OMP_|MKL_|CUDA_VISIBLE|LIBTORCH)/.test(e[0]) && e[1] !== undefined,
      ),
    ),
  };
  try {
    const { buildInfo } = await import("../torch/index.js");
    const b = buildInfo();
    out.torch = {
      version: b.torchVersion,
      blas: b.blas,
      threads: b.numThreads,
      cuda: b.cudaAvailable,
      gloo: b.gloo,
      buildConfig: b.buildConfig,
    };
  } catch (e) {
    out.torchError = (e as Error).message;
  }
  return out;
}

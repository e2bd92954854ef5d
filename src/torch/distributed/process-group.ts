// Process groups over LibTorch's c10d (Gloo on CPU, NCCL in CUDA builds) and their collectives.
// Collectives are issued in program order on the JS thread and run on c10d's own threads; each
// returns a Promise, so the event loop stays free (data prefetch) while bytes move
// (reference/libtorch-binding-and-ts-ecosystem.md §2.4). The environment contract is torchrun's:
// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (set by `facelab launch`).
import { asTorchError, TorchError } from "../errors.js";
import { type Handle, native } from "../native.js";
import { Tensor } from "../tensor.js";

interface DistNative {
  distInit(o: object): Promise<number>;
  distAllreduce(id: number, t: Handle, op: string): Promise<void>;
  distBroadcast(id: number, t: Handle, root: number): Promise<void>;
  distAllgather(id: number, t: Handle): Promise<Handle[]>;
  distBarrier(id: number): Promise<void>;
  distGradAllreduceHook(id: number, t: Handle): void;
  distAllreduceSync(id: number, t: Handle, op: string): void;
  distReducerCreate(id: number, params: Handle[], buckets: number[][]): number;
  distReducerSetEnabled(reducer: number, on: boolean): void;
  distReducerFinalize(reducer: number): Promise<{ unused: number[]; events: string[] }>;
  distReducerDestroy(reducer: number): void;
  distDestroy(id: number): Promise<void>;
}

/** The backends this build of the addon can create (["gloo"], or ["gloo", "nccl"] in a CUDA build with NCCL). */
export function availableBackends(): Backend[] {
  return typeof native.distBackends === "function" ? (native.distBackends as () => Backend[])() : [];
}

/** @internal The addon's c10d entry points (throws a clear error when the build has none). */
export function dist(): DistNative {
  if (typeof native.distInit !== "function")
    throw new TorchError(
      "this build of the addon has no c10d process groups (install libgloo-dev and run `npm run build:native`)",
      "DistributedError",
    );
  return native as unknown as DistNative;
}

export type Backend = "gloo" | "nccl";
export type ReduceOp = "sum" | "avg" | "max" | "min" | "product";

export interface InitOptions {
  backend?: Backend;
  rank?: number;
  worldSize?: number;
  /** Host of rank 0's TCPStore (MASTER_ADDR, default 127.0.0.1). */
  masterAddr?: string;
  /** Port of rank 0's TCPStore (MASTER_PORT, default 29500 as in torch.distributed). */
  masterPort?: number;
  /** File rendezvous instead of TCP (FACELAB_INIT_FILE; a path every rank can reach, e.g. on a shared filesystem). */
  initFile?: string;
  /** Rendezvous and per-collective timeout (FACELAB_DIST_TIMEOUT_MS, default 30 min like c10d). */
  timeoutMs?: number;
  /** Network interface Gloo binds to (GLOO_SOCKET_IFNAME, as in PyTorch). */
  interface?: string;
  /** Address Gloo binds to; default 127.0.0.1 when the master is on loopback, else this host's name. */
  hostname?: string;
  /** Gloo worker threads per group (c10d default 2). */
  threads?: number;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new TorchError(`environment variable ${name} must be a non-negative integer, got "${v}"`, "ValueError");
  return n;
}

const isLoopback = (host: string) => host === "localhost" || host.startsWith("127.") || host === "::1";

/** A group of ranks that run collectives together. */
export class ProcessGroup {
  #destroyed = false;
  constructor(
    /** @internal native group id */
    readonly id: number,
    readonly rank: number,
    readonly worldSize: number,
    readonly backend: Backend,
  ) {}

  get isDestroyed(): boolean {
    return this.#destroyed;
  }

  #n(): DistNative {
    if (this.#destroyed) throw new TorchError("process group has been destroyed", "DistributedError");
    return dist();
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw asTorchError(e);
    }
  }

  /** Reduces t over all ranks in place (avg = sum / worldSize, for floating tensors). */
  async allReduce(t: Tensor, op: ReduceOp = "sum"): Promise<Tensor> {
    if (op === "avg" && !/^float|^bfloat/.test(t.dtype))
      throw new TorchError(`allReduce: op "avg" needs a floating tensor, got ${t.dtype}`, "ValueError");
    const n = this.#n();
    const buf = t.isContiguous() ? t : t.contiguous();
    await this.#run(() => n.distAllreduce(this.id, buf.handle, op === "avg" ? "sum" : op));
    if (op === "avg") buf.div_(this.worldSize);
    if (buf !== t) {
      t.copy_(buf);
      buf.dispose();
    }
    return t;
  }

  /**
   * allReduce that blocks the calling thread until done (for collectives inside a synchronous
   * forward, such as SyncBatchNorm's statistics). Waits at most the group's timeout; a failure
   * throws a TorchError naming the rank. Every rank must call it at the same point.
   */
  allReduceSync(t: Tensor, op: ReduceOp = "sum"): Tensor {
    if (op === "avg" && !/^float|^bfloat/.test(t.dtype))
      throw new TorchError(`allReduceSync: op "avg" needs a floating tensor, got ${t.dtype}`, "ValueError");
    const n = this.#n();
    const buf = t.isContiguous() ? t : t.contiguous();
    try {
      n.distAllreduceSync(this.id, buf.handle, op === "avg" ? "sum" : op);
    } catch (e) {
      if (buf !== t) buf.dispose();
      throw asTorchError(e);
    }
    if (op === "avg") buf.div_(this.worldSize).dispose();
    if (buf !== t) {
      t.copy_(buf);
      buf.dispose();
    }
    return t;
  }

  /** Overwrites t on every rank with root's t. */
  async broadcast(t: Tensor, root = 0): Promise<Tensor> {
    this.#checkRank(root, "broadcast root");
    const n = this.#n();
    const buf = t.isContiguous() ? t : t.contiguous();
    await this.#run(() => n.distBroadcast(this.id, buf.handle, root));
    if (buf !== t) {
      t.copy_(buf);
      buf.dispose();
    }
    return t;
  }

  /** One copy of every rank's t, in rank order. All ranks must pass tensors of the same shape and dtype. */
  async allGather(t: Tensor): Promise<Tensor[]> {
    const n = this.#n();
    const buf = t.isContiguous() ? t : t.contiguous();
    try {
      const hs = await this.#run(() => n.distAllgather(this.id, buf.handle));
      return hs.map((h) => new Tensor(h));
    } finally {
      if (buf !== t) buf.dispose();
    }
  }

  /** Sum (or other op) over ranks of t, split along dim 0: this rank's chunk (t.size(0) must divide by worldSize). */
  async reduceScatter(t: Tensor, op: ReduceOp = "sum"): Promise<Tensor> {
    // Gloo in LibTorch 1.13 has no reduce_scatter; all-reduce then keep this rank's chunk.
    const rows = t.shape[0] ?? 0;
    if (rows % this.worldSize !== 0)
      throw new TorchError(
        `reduceScatter: dim 0 (${rows}) must be divisible by the world size ${this.worldSize}`,
        "ValueError",
      );
    const acc = t.detach().clone();
    await this.allReduce(acc, op);
    const per = rows / this.worldSize;
    const out = acc.narrow(0, this.rank * per, per).clone();
    acc.dispose();
    return out;
  }

  /** Waits until every rank has reached the barrier. */
  async barrier(): Promise<void> {
    const n = this.#n();
    await this.#run(() => n.distBarrier(this.id));
  }

  /**
   * Makes the gradient that reaches `t` during backward the sum over all ranks of their gradients
   * for it (the adjoint of an all-gather). Blocks inside backward while the sum is exchanged.
   */
  sumGradientInBackward(t: Tensor): void {
    const n = this.#n();
    try {
      n.distGradAllreduceHook(this.id, t.handle);
    } catch (e) {
      throw asTorchError(e, "sumGradientInBackward");
    }
  }

  /** Releases the group (drains in-flight work first). */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    const n = this.#n();
    this.#destroyed = true;
    await n.distDestroy(this.id);
  }

  #checkRank(r: number, what: string) {
    if (!Number.isInteger(r) || r < 0 || r >= this.worldSize)
      throw new TorchError(`${what} must be a rank in [0, ${this.worldSize}), got ${r}`, "ValueError");
  }
}

let defaultGroup: ProcessGroup | undefined;

/** Creates the default process group; options default to the launcher's environment variables. */
export async function initProcessGroup(o: InitOptions = {}): Promise<ProcessGroup> {
  if (defaultGroup)
    throw new TorchError("initProcessGroup: the default process group is already initialised", "DistributedError");
  const group = await newGroup(o);
  defaultGroup = group;
  return group;
}

/** Creates a process group without making it the default (e.g. a second store on another port). */
export async function newGroup(o: InitOptions = {}): Promise<ProcessGroup> {
  const backend = o.backend ?? (process.env.FACELAB_DIST_BACKEND as Backend | undefined) ?? "gloo";
  if (backend !== "gloo" && backend !== "nccl")
    throw new TorchError(`backend must be "gloo" or "nccl", got "${backend}"`, "ValueError");
  if (!availableBackends().includes(backend))
    throw new TorchError(
      backend === "nccl"
        ? 'backend "nccl" is not available: this build of the addon has no NCCL. It needs a CUDA LibTorch built with NCCL ' +
            "and nccl.h at build time (LIBTORCH=<pytorch.org CUDA libtorch> npm run build:native, or LIBTORCH_USE_PYTORCH=1 " +
            'with a CUDA torch); on CPU use backend "gloo"'
        : 'backend "gloo" is not available: this build of the addon has no c10d Gloo (install libgloo-dev and run `npm run build:native`)',
      "DistributedError",
    );
  const rank = o.rank ?? envInt("RANK") ?? 0;
  const worldSize = o.worldSize ?? envInt("WORLD_SIZE") ?? 1;
  if (!Number.isInteger(worldSize) || worldSize < 1)
    throw new TorchError(`worldSize must be a positive integer, got ${worldSize}`, "ValueError");
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize)
    throw new TorchError(`rank must be an integer in [0, ${worldSize}), got ${rank}`, "ValueError");
  const masterAddr = o.masterAddr ?? process.env.MASTER_ADDR ?? "127.0.0.1";
  const masterPort = o.masterPort ?? envInt("MASTER_PORT") ?? 29500;
  if (!Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535)
    throw new TorchError(`masterPort must be in 1..65535, got ${masterPort}`, "ValueError");
  const timeoutMs = o.timeoutMs ?? envInt("FACELAB_DIST_TIMEOUT_MS") ?? 30 * 60 * 1000;
  if (!(timeoutMs > 0)) throw new TorchError(`timeoutMs must be positive, got ${timeoutMs}`, "ValueError");
  const iface = o.interface ?? process.env.GLOO_SOCKET_IFNAME;
  const hostname = o.hostname ?? (iface ? undefined : isLoopback(masterAddr) ? "127.0.0.1" : undefined);
  const initFile = o.initFile ?? process.env.FACELAB_INIT_FILE;
  const store = initFile
    ? { type: "file", path: initFile }
    : { type: "tcp", host: masterAddr, port: masterPort, isMaster: rank === 0 };
  try {
    const id = await dist().distInit({
      backend,
      rank,
      worldSize,
      timeoutMs: Math.round(timeoutMs),
      interface: iface,
      hostname,
      threads: o.threads ?? 2,
      store,
    });
    return new ProcessGroup(id, rank, worldSize, backend);
  } catch (e) {
    throw asTorchError(e);
  }
}

/** The default group, or undefined outside a distributed run. */
export const getDefaultGroup = (): ProcessGroup | undefined => defaultGroup;
export const isInitialized = (): boolean => defaultGroup !== undefined;
/** This process's rank (0 when not distributed). */
export const getRank = (): number => defaultGroup?.rank ?? 0;
/** Number of ranks (1 when not distributed). */
export const getWorldSize = (): number => defaultGroup?.worldSize ?? 1;
/** The launcher's LOCAL_RANK (0 when not launched). */
export const getLocalRank = (): number => envInt("LOCAL_RANK") ?? 0;
/** True in a process started by `facelab launch` (WORLD_SIZE set). */
export const isLaunched = (): boolean => process.env.WORLD_SIZE !== undefined && process.env.RANK !== undefined;

/** Destroys the default group. */
export async function destroyProcessGroup(): Promise<void> {
  const g = defaultGroup;
  defaultGroup = undefined;
  await g?.destroy();
}

/** The group to use: the one given, else the default; throws a clear error when neither exists. */
export function resolveGroup(group: ProcessGroup | undefined, what: string): ProcessGroup {
  const g = group ?? defaultGroup;
  if (!g)
    throw new TorchError(
      `${what}: no process group; call initProcessGroup() first (or run under \`facelab launch\`)`,
      "DistributedError",
    );
  return g;
}

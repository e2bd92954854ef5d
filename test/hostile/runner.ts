// Runs reader calls in a child process (worker.ts), one at a time, each under a timeout. On a
// timeout the child is killed (SIGKILL ends even a thread blocked in open()) and the call's outcome
// is "hang"; the next call starts a fresh child.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Answer, Call } from "./worker.js";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

export type RunAnswer = Omit<Answer, "outcome"> & { outcome: Answer["outcome"] | "hang" | "died" };

export class CaseRunner {
  #child: ChildProcessWithoutNullStreams | undefined;
  #lines: Interface | undefined;
  #waiting: ((line: string | undefined) => void) | undefined;
  #stderr = "";

  #start(): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, FACELAB_QUIET: "1", OMP_NUM_THREADS: "1" },
    });
    this.#stderr = "";
    child.stderr.on("data", (d) => {
      this.#stderr = (this.#stderr + String(d)).slice(-4000);
    });
    this.#lines = createInterface({ input: child.stdout });
    this.#lines.on("line", (l) => this.#waiting?.(l));
    child.on("exit", () => {
      if (this.#child === child) {
        this.#child = undefined;
        this.#waiting?.(undefined);
      }
    });
    this.#child = child;
    return child;
  }

  async run(call: Call, timeoutMs: number): Promise<RunAnswer> {
    const child = this.#child ?? this.#start();
    const answer = new Promise<RunAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        this.#kill();
        resolve({ id: call.id, outcome: "hang", message: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.#waiting = (line) => {
        clearTimeout(timer);
        this.#waiting = undefined;
        resolve(
          line === undefined
            ? { id: call.id, outcome: "died", message: this.#stderr }
            : (JSON.parse(line) as RunAnswer),
        );
      };
    });
    child.stdin.write(`${JSON.stringify(call)}\n`);
    return answer;
  }

  #kill(): void {
    const c = this.#child;
    this.#child = undefined;
    this.#lines?.close();
    c?.kill("SIGKILL");
  }

  close(): void {
    const c = this.#child;
    this.#child = undefined;
    c?.stdin.end();
    c?.kill("SIGKILL");
  }
}

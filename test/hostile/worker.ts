// Child process of the hostile-input tests: reads one call per stdin line (JSON), runs the named
// reader in strict or lenient mode and answers one JSON line with the outcome class. It runs in its
// own process so that a reader that blocks (a synchronous open of a FIFO waits for a writer)
// can be killed by the parent's per-case timeout instead of stalling the suite.
import { openSync } from "node:fs";
import { createInterface } from "node:readline";
import { z } from "zod";
import { listCeleba } from "../../src/data/celeba.js";
import { readCifar10, readCifar10Files } from "../../src/data/cifar.js";
import { readFfhq, readImageFolder } from "../../src/data/folder.js";
import { readFashionMnist, readIdx } from "../../src/data/idx.js";
import type { DataCounts, Skip } from "../../src/data/imageset.js";
import { countSkips } from "../../src/data/options.js";
import { listUtkFace } from "../../src/data/utkface.js";
import { loadConfig } from "../../src/runs/config.js";

export type Reader =
  | "idx"
  | "fmnist"
  | "cifar-files"
  | "cifar"
  | "folder"
  | "ffhq"
  | "utkface"
  | "celeba"
  | "safetensors"
  | "config"
  | "hang-self-test";

export interface Call {
  id: string;
  reader: Reader;
  path: string;
  strict: boolean;
  /** reader-specific: IDX dims, --set overrides, cache folder */
  dims?: number;
  sets?: string[];
  cacheDir?: string;
}

export type OutcomeClass = "ok" | "error" | "refused" | "skipped" | "warning" | "ignored";

export interface Answer {
  id: string;
  outcome: OutcomeClass | "crash";
  counts?: DataCounts;
  message?: string;
  errorName?: string;
  /** decoded pixel bytes or tensor bytes the read produced (to bound allocations by the file size) */
  bytes?: number;
}

/** The config schema the YAML cases are read against. */
const configSchema = z.object({
  name: z.string().default("x"),
  epochs: z.number().int().positive(),
  optim: z.object({ lr: z.number().positive() }).default({ lr: 0.1 }),
  widths: z.array(z.number()).default([1]),
});

const TYPED = new Set(["DataError", "ConfigError", "TorchError"]);

function classify(counts: DataCounts): OutcomeClass {
  if (counts.refused > 0) return "refused";
  if (counts.skipped_invalid > 0) return "skipped";
  if (counts.warnings > 0) return "warning";
  if (counts.ignored > 0) return "ignored";
  return "ok";
}

const fromSet = (s: { count: number; skipped: readonly Skip[] }, bytes?: number) => {
  const counts = countSkips(s.count, s.skipped);
  return { outcome: classify(counts), counts, bytes };
};

async function run(c: Call): Promise<Omit<Answer, "id">> {
  const cache = { side: 8, cacheDir: c.cacheDir, strict: c.strict, parallel: 2, progress: false };
  switch (c.reader) {
    case "idx": {
      const { Problems } = await import("../../src/data/options.js");
      const problems = new Problems("idx", c.strict);
      const a = readIdx(c.path, c.dims, { problems });
      const counts = countSkips(a.dims[0] as number, problems.skipped);
      if (a.declared !== undefined) counts.skipped_invalid += a.declared - (a.dims[0] as number);
      return { outcome: classify(counts), counts, bytes: a.data.length };
    }
    case "fmnist": {
      const s = readFashionMnist("test", { dir: c.path, strict: c.strict });
      return fromSet(s, s.pixels.length);
    }
    case "cifar-files": {
      const s = readCifar10Files([c.path], { strict: c.strict });
      return fromSet(s, s.pixels.length);
    }
    case "cifar": {
      const s = readCifar10(c.path, "test", { strict: c.strict });
      return fromSet(s, s.pixels.length);
    }
    case "folder":
      return fromSet(await readImageFolder(c.path, cache));
    case "ffhq":
      return fromSet(await readFfhq(c.path, cache));
    case "utkface": {
      const l = listUtkFace(c.path, { strict: c.strict });
      return fromSet({ count: l.entries.length, skipped: l.skipped });
    }
    case "celeba": {
      const l = listCeleba(c.path, { strict: c.strict });
      return fromSet({ count: l.entries.length, skipped: l.skipped });
    }
    case "safetensors": {
      // strict = --strict-finite; lenient = the default warning
      const { loadFile } = await import("../../src/torch/safetensors.js");
      const { tidy } = await import("../../src/torch/index.js");
      const warnings: string[] = [];
      const bytes = tidy(() => {
        const t = loadFile(c.path, { finite: c.strict ? "error" : "warn", warn: (m) => warnings.push(m) });
        return [...t.values()].reduce((a, x) => a + (x.numel ? x.contiguous().toTypedArray().byteLength : 0), 0);
      });
      const counts: DataCounts = { loaded: 1, skipped_invalid: 0, refused: 0, ignored: 0, warnings: warnings.length };
      return { outcome: classify(counts), counts, bytes, message: warnings[0] };
    }
    case "config":
      loadConfig(configSchema, { file: c.path, sets: c.sets });
      return { outcome: "ok" };
    case "hang-self-test":
      openSync(c.path, "r"); // a FIFO without a writer: blocks forever, on purpose
      return { outcome: "ok" };
  }
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const call = JSON.parse(line) as Call;
  let answer: Answer;
  try {
    answer = { id: call.id, ...(await run(call)) };
  } catch (e) {
    const err = e as Error;
    answer = {
      id: call.id,
      outcome: TYPED.has(err.name) ? "error" : "crash",
      errorName: err.name,
      message: err.message,
    };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

// Runs the hostile corpus (corpus.ts, ≥ 100 cases) through every reader in strict and in lenient
// mode and checks each outcome class. Readers run in a child process (worker.ts) with a per-case
// timeout: a reader that blocks (e.g. opening a FIFO) fails its case instead of stalling the suite,
// and the child is restarted for the next case. A self-test proves the timeout catches a real hang.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Case, writeCorpus } from "./corpus.js";
import { CaseRunner } from "./runner.js";

const root = mkdtempSync(join(tmpdir(), "facelab-hostile-"));
const runner = new CaseRunner();
let cases: Case[] = [];
before(async () => {
  cases = await writeCorpus(root);
});
after(() => {
  runner.close();
  rmSync(root, { recursive: true, force: true });
});

/** Per-case limit: a generous bound on a contended 2-core machine; the cases take milliseconds. */
const CASE_TIMEOUT_MS = 60_000;

test("the harness turns a real hang (blocking open of a FIFO) into a failed case, then keeps going", async () => {
  const fifo = join(root, "hang.fifo");
  execFileSync("mkfifo", [fifo]);
  const a = await runner.run({ id: "self", reader: "hang-self-test", path: fifo, strict: true }, 3_000);
  assert.equal(a.outcome, "hang");
  const b = await runner.run(
    { id: "after", reader: "config", path: join(root, "missing.yaml"), strict: true },
    CASE_TIMEOUT_MS,
  );
  assert.equal(b.outcome, "error", "a fresh worker answers after the hung one was killed");
});

describe("hostile corpus", () => {
  test("has at least 100 cases across every format", () => {
    assert.ok(cases.length >= 100, `${cases.length} cases`);
    const families = new Set(cases.map((c) => c.id.split("/")[0]));
    for (const f of ["idx", "fashion-mnist", "cifar", "folder", "ffhq", "utkface", "celeba", "safetensors", "yaml"])
      assert.ok(families.has(f), f);
  });

  for (const mode of ["strict", "lenient"] as const)
    test(`every case has its expected outcome class in ${mode} mode, within the time limit`, async () => {
      const wrong: string[] = [];
      for (const c of cases) {
        const a = await runner.run({ id: c.id, ...c.call, strict: mode === "strict" }, CASE_TIMEOUT_MS);
        const want = c[mode];
        const detail = `${c.id}: expected ${want}, got ${a.outcome}${a.message ? ` (${a.errorName}: ${a.message})` : ""}`;
        if (a.outcome !== want) {
          wrong.push(detail);
          continue;
        }
        if (a.outcome === "error") {
          // The message names the offending file (or the stated text), never just an errno.
          const named = c.names ?? basename(c.call.path);
          if (!a.message?.includes(named) && !(mode === "lenient" && a.message?.includes(c.call.path)))
            wrong.push(`${c.id}: error does not name '${named}': ${a.message}`);
        }
        // Nothing read may be larger than the file justifies: decoded pixels/tensors stay small here.
        if (a.bytes !== undefined && a.bytes > 64 * 2 ** 20) wrong.push(`${c.id}: produced ${a.bytes} bytes`);
      }
      assert.deepEqual(wrong, [], `\n${wrong.join("\n")}`);
    });

  test("no cache temp folder is left behind and nothing outside the roots was decoded", () => {
    const leftovers = readdirSync(root, { recursive: true }).filter((f) => /\.tmp-\d+$/.test(String(f)));
    assert.deepEqual(leftovers, []);
    assert.ok(existsSync(join(root, "outside", "secret.jpg")));
  });
});

// DESIGN.md "one home per concept": every metric lives in src/eval/. This test lists the functions and
// constants src/eval/ exports and fails when another module of src/ exports one of the same names
// (issue #12 found knnAccuracy and predictionCollapse defined twice). Not scanned: src/torch/ (tensor
// ops such as mean/argmax are not metrics) and src/report/ (chart builders are named after what they
// draw). The last duplicates (issue #12 item 4) were folded or renamed for what they are: the bias
// study's per-group bootstrap and intervals moved here, its seed-pooled table is pooledFrame, and
// the array gather is valuesAt (methods' take gathers tensor rows).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });

/** Names of the functions, classes and constants a file exports itself (re-exports are not definitions). */
export function exportedNames(code: string): string[] {
  return [...code.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm)].map(
    (m) => m[1] as string,
  );
}

test("no module outside src/eval exports a name that src/eval defines", () => {
  const all = sources("src").filter((f) => !/^(torch|report)\//.test(relative("src", f)));
  const evalFiles = all.filter((f) => relative("src", f).startsWith("eval"));
  assert.ok(evalFiles.length > 5);
  const metrics = new Map<string, string>();
  for (const f of evalFiles) for (const n of exportedNames(readFileSync(f, "utf8"))) metrics.set(n, f);
  const clashes = all
    .filter((f) => !evalFiles.includes(f))
    .flatMap((f) =>
      exportedNames(readFileSync(f, "utf8"))
        .filter((n) => metrics.has(n))
        .map((n) => `${n}: ${f} and ${metrics.get(n)}`),
    );
  assert.deepEqual(clashes.sort(), []);
});

test("the scanner sees every form of definition and ignores re-exports", () => {
  const code = [
    "export function a() {}",
    "export async function b() {}",
    "export const c = 1;",
    "export class D {}",
    'export { e } from "./e.js";',
    "const f = 2;",
  ].join("\n");
  assert.deepEqual(exportedNames(code), ["a", "b", "c", "D"]);
});

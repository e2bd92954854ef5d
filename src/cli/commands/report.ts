// facelab report <run-or-study-dir>: writes report.html (self-contained) and report/*.svg|png next to it.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { writeReport } from "../../report/index.js";

export function register(program: Command): void {
  program
    .command("report")
    .description("write a self-contained HTML report (plus PNG/SVG charts) for a run or study directory")
    .argument("<dir>", "run or study directory")
    .option("-o, --out <dir>", "write the report here instead of into the run directory")
    .option("--no-png", "write SVG files only (faster)")
    .action(async (dir: string, opts: { out?: string; png: boolean }) => {
      const abs = resolve(dir);
      if (!existsSync(abs)) throw new Error(`no such directory: ${dir}`);
      const r = await writeReport(abs, { ...(opts.out && { outDir: resolve(opts.out) }), png: opts.png });
      for (const p of r.problems) console.error(`facelab report: warning: ${p}`);
      console.log(`report: ${r.html}`);
      console.log(`charts: ${r.files.length} files in ${resolve(r.html, "..", "report")}`);
    });
}

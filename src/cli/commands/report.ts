// facelab report <run-or-study-dir>: writes report.html (self-contained) and report/*.svg|png next to it,
// or with --format md|tex the findings and headline tables for a paper (report.md / report.tex).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { writeExport, writeReport } from "../../report/index.js";

export function register(program: Command): void {
  program
    .command("report")
    .description(
      "write a self-contained HTML report (plus PNG/SVG charts), or Markdown/LaTeX tables, for a run or study",
    )
    .argument("<dir>", "run or study directory")
    .option("-o, --out <dir>", "write the report here instead of into the run directory")
    .addOption(
      new Option(
        "-f, --format <format>",
        "html: the full page; md: findings and headline as Markdown tables; tex: booktabs tables of the headline and the metric frame",
      )
        .choices(["html", "md", "tex"])
        .default("html"),
    )
    .option("--no-png", "write SVG files only (faster)")
    .action(async (dir: string, opts: { out?: string; png: boolean; format: "html" | "md" | "tex" }) => {
      const abs = resolve(dir);
      if (!existsSync(abs)) throw new Error(`no such directory: ${dir}`);
      const outDir = opts.out ? resolve(opts.out) : undefined;
      if (opts.format !== "html") {
        console.log(`report: ${writeExport(abs, opts.format, { ...(outDir && { outDir }) })}`);
        return;
      }
      const r = await writeReport(abs, { ...(outDir && { outDir }), png: opts.png });
      for (const p of r.problems) console.error(`facelab report: warning: ${p}`);
      console.log(`report: ${r.html}`);
      console.log(`charts: ${r.files.length} files in ${resolve(r.html, "..", "report")}`);
    });
}

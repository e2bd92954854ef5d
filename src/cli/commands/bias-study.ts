// facelab bias-study --config <recipe|file.yaml>: the demographic-imbalance grid (splits × losses ×
// seeds) on UTKFace when given, synthetic faces otherwise. Resumable: rerunning the same command
// skips finished cells. Ends with the claims, warnings and where the results are.
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../runs/index.js";
import { biasConfigSchema, cells, parseBiasConfig } from "../../studies/bias/config.js";
import { runBiasStudy } from "../../studies/bias/grid.js";
import { collect, configPath } from "../options.js";

export function register(program: Command): void {
  program
    .command("bias-study")
    .description(
      "face recognition under demographically imbalanced training data: splits × losses × seeds, per-group metrics with CIs",
    )
    .requiredOption("--config <recipe|file>", "bias-gender, bias-race, bias-synthetic, or a YAML file")
    .option(
      "--set <key=value>",
      "override a config value (repeatable), e.g. --set data.utkfaceDir=/data/UTKFace",
      collect,
      [],
    )
    .option("--runs <dir>", "runs root (the study goes to <runs>/<name>)", "runs")
    .option("--max-cells <n>", "run at most n new cells, then stop (rerun to continue)")
    .option("--dry-run", "validate the config and list the cells without training")
    .option("--no-report", "skip writing report.html")
    .action(
      async (o: {
        config: string;
        set: string[];
        runs: string;
        maxCells?: string;
        dryRun?: boolean;
        report: boolean;
      }) => {
        const cfg = parseBiasConfig(
          loadConfig(biasConfigSchema, {
            file: configPath(o.config, "recipes: bias-gender, bias-race, bias-synthetic"),
            sets: o.set,
          }),
        );
        const grid = cells(cfg);
        const source = cfg.data.source === "auto" ? (cfg.data.utkfaceDir ? "utkface" : "synthetic") : cfg.data.source;
        console.log(
          `${cfg.name}: ${grid.length} cells (${source} faces, attribute ${cfg.data.attribute}: ${cfg.data.groups.join(", ")})`,
        );
        if (o.dryRun) {
          for (const c of grid) console.log(`  ${c.id}`);
          return;
        }
        const maxNewCells = o.maxCells === undefined ? undefined : Number(o.maxCells);
        if (maxNewCells !== undefined && !(Number.isInteger(maxNewCells) && maxNewCells >= 0))
          throw new Error(`--max-cells must be a non-negative integer, got '${o.maxCells}'`);
        const dir = join(resolve(o.runs), cfg.name);
        const r = await runBiasStudy(cfg, { dir, maxNewCells });
        console.log(
          `\n${r.ran.length} cells trained, ${r.reused.length} reused, ${r.failed.length} failed, ${r.pending.length} pending`,
        );
        type Claim = { statement: string; family: string; significant: boolean };
        const summary = (await import("../../studies/bias/grid.js")).readSummary(dir) as {
          trends: Claim[];
          gaps: Claim[];
          warnings: string[];
        };
        // Primary claims (declared family, Holm-adjusted) in full; secondary ones only where q ≤ α (#13).
        const claims = [...summary.trends, ...summary.gaps];
        console.log("\nPrimary claims (Holm-adjusted):");
        for (const c of claims.filter((x) => x.family === "primary")) console.log(`  ${c.statement}`);
        const found = claims.filter((x) => x.family !== "primary" && x.significant);
        console.log(
          `\nSecondary claims with q at or below alpha (${found.length} of ${claims.filter((x) => x.family !== "primary").length}, Benjamini–Hochberg):`,
        );
        for (const c of found) console.log(`  ${c.statement}`);
        if (summary.warnings.length) console.log(`\nWarnings:\n${summary.warnings.map((w) => `  ${w}`).join("\n")}`);
        for (const f of r.failed) console.log(`FAILED ${f.id}: ${f.error}`);
        console.log(`\nresults: ${join(dir, "results.csv")}\nsummary: ${join(dir, "summary.json")}`);
        if (o.report && r.records.length) {
          const { writeReport } = await import("../../report/index.js");
          console.log(`report:  ${(await writeReport(dir)).html}`);
        }
        if (r.failed.length) process.exitCode = 1;
      },
    );
}

// facelab train --config <recipe|file.yaml> [--loss name]: identity classification with an embedding
// layer and a margin head (softmax, ring, sphereface, sphereface-r, cosface, arcface), also the
// seed's CIFAR-10 / Fashion-MNIST baselines. Writes a run with loss curves and a confusion matrix.
// --resume <runDir> continues a killed run from its latest checkpoint, as `facelab simclr run` does.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { HEAD_NAMES } from "../../losses/index.js";
import { loadConfig } from "../../runs/index.js";
import { runTraining, trainConfigSchema } from "../../studies/supervised/recipe.js";
import { collect, configPath, parseStopAfter, recipeNames } from "../options.js";

export function register(program: Command): void {
  program
    .command("train")
    .description(
      "train a classifier with an embedding layer and any loss head (face identities, CIFAR-10, Fashion-MNIST)",
    )
    .option("--config <recipe|file>", `a recipe (${recipeNames("train-").join(", ")}) or a YAML file`)
    .option("--loss <name>", `replace the recipe's loss (${HEAD_NAMES.join(", ")})`)
    .option("--set <key=value>", "override a config value (repeatable), e.g. --set train.epochs=2", collect, [])
    .option("--runs <dir>", "runs root", "runs")
    .option("--resume <runDir>", "continue a killed run from its latest checkpoint (new run dir, same results)")
    .option("--stop-after <epochs>", "stop training after this epoch (resume later)")
    .action(
      async (o: {
        config?: string;
        loss?: string;
        set: string[];
        runs: string;
        resume?: string;
        stopAfter?: string;
      }) => {
        if (!o.config && !o.resume) throw new Error("train needs --config <recipe|file> (or --resume <runDir>)");
        const file = o.resume
          ? join(o.resume, "config.yaml")
          : configPath(o.config as string, `recipes: ${recipeNames("train-").join(", ")}`);
        if (o.resume && !existsSync(file)) throw new Error(`--resume ${o.resume}: no config.yaml there`);
        const sets = o.loss ? [`loss={name: ${o.loss}}`, ...o.set] : o.set;
        const cfg = loadConfig(trainConfigSchema, { file, sets });
        // Under `facelab launch` every worker trains; rank 0 alone evaluates, writes the run and reports.
        const r = await runTraining(cfg, {
          runsRoot: o.runs,
          argv: process.argv.slice(2),
          resumeFrom: o.resume,
          stopAfterEpoch: parseStopAfter(o.stopAfter),
        });
        if (!r.main) return;
        if (r.stoppedAfterEpoch !== undefined) {
          console.log(`stopped after epoch ${r.stoppedAfterEpoch} as asked; resume with --resume ${r.dir}`);
          return;
        }
        console.log(`test accuracy ${(100 * r.testAccuracy).toFixed(2)}%`);
        if (cfg.expect) {
          const bar = `${(100 * cfg.expect.minAccuracy).toFixed(1)}% (${cfg.expect.source})`;
          console.log(r.metExpectation ? `meets the bar of ${bar}` : `BELOW the bar of ${bar}`);
        }
        console.log(`run: ${r.dir}`);
        const { writeReport } = await import("../../report/index.js");
        console.log(`report: ${(await writeReport(r.dir)).html}`);
      },
    );
}

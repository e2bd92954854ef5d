// facelab simclr run|finetune|recipes: SimCLR pretraining + linear probe / fine-tune / from-scratch
// evaluation from one config, resume after a kill, and evaluation of any intermediate checkpoint.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import type { EvalMethod } from "../../methods/evaluate.js";
import { SimclrConfigSchema } from "../../methods/simclr-config.js";
import { loadConfig } from "../../runs/index.js";
import type { HeadlineEntry } from "../../studies/simclr/report.js";
import { runSimclrStudy } from "../../studies/simclr/study.js";
import { collect, configPath, parseStopAfter, recipeNames } from "../options.js";

/** The SimCLR and BYOL recipes in configs/ (read from the folder, so the list cannot go stale). */
const pretrainRecipes = () => [...recipeNames("simclr-"), ...recipeNames("byol-")].sort();

async function report(dir: string, wanted: boolean): Promise<void> {
  if (!wanted) return;
  const { writeReport } = await import("../../report/index.js");
  console.log(`report: ${(await writeReport(dir)).html}`);
}

function printHeadline(summary: Record<string, unknown>): void {
  const pts = (x: number) => (x * 100).toFixed(2);
  const ci = (c?: [number, number]) => (c ? ` [95% CI ${pts(c[0])}, ${pts(c[1])}]` : "");
  for (const [key, v] of Object.entries(summary.headline as Record<string, HeadlineEntry>)) {
    const acc = (m: EvalMethod) => {
      const r = v[m];
      return r ? `${pts(r.accuracy)}%${ci(r.ci95)} (balanced ${pts(r.balancedAccuracy)}%)` : "—";
    };
    const gain = (g?: number, c?: [number, number]) => (g === undefined ? "" : `; gain ${pts(g)} points${ci(c)}`);
    const reps = (v["linear-probe"] ?? v["fine-tune"])?.repeats ?? 1;
    console.log(`${key} [${v.labelled} labelled${reps > 1 ? `, mean of ${reps} repeats` : ""}]`);
    // Only the comparisons this group has (the all-label kNN and L-BFGS rows sit at 100% of the labels).
    const line = (title: string, a: EvalMethod, b: EvalMethod, vs: string, g = "") => {
      if (v[a] || v[b]) console.log(`  ${title.padEnd(13)} SimCLR ${acc(a)} vs ${vs} ${acc(b)}${g}`);
    };
    line("kNN:", "knn", "knn-random-init", "random init");
    line("L-BFGS probe:", "logistic-probe", "logistic-probe-random-init", "random init");
    line(
      "linear probe:",
      "linear-probe",
      "linear-probe-random-init",
      "random init",
      gain(v.linearProbeGain, v.linearProbeGainCI95),
    );
    line("fine-tune:", "fine-tune", "scratch", "from scratch", gain(v.fineTuneGain, v.fineTuneGainCI95));
  }
  const failures = summary.failures as { task: string; method: string; message: string }[];
  for (const f of failures ?? []) console.log(`STOPPED ${f.task} ${f.method}: ${f.message}`);
}

export function register(program: Command): void {
  const cmd = program
    .command("simclr")
    .description("self-supervised pretraining (pretrain.method: simclr or byol) and semi-supervised evaluation");

  cmd
    .command("run")
    .description("pretrain, then linear probe / fine-tune / from-scratch side by side (recipe name or YAML)")
    .argument("[config]", `recipe (${pretrainRecipes().join(", ")}) or YAML file`)
    .option("--set <key=value>", "override a config value (repeatable), e.g. --set pretrain.epochs=5", collect, [])
    .option("--runs <dir>", "runs root", "runs")
    .option("--resume <runDir>", "continue a killed run from its latest checkpoint (new run dir, same results)")
    .option("--stop-after <epochs>", "stop pretraining after this epoch (resume later)")
    .option("--no-report", "skip writing report.html")
    .action(
      async (
        config: string | undefined,
        o: { set: string[]; runs: string; resume?: string; stopAfter?: string; report: boolean },
      ) => {
        if (!config && !o.resume)
          throw new Error("simclr run needs a recipe name or config file (or --resume <runDir>)");
        const file = o.resume
          ? join(o.resume, "config.yaml")
          : configPath(config!, `recipes: ${pretrainRecipes().join(", ")}`);
        if (o.resume && !existsSync(file)) throw new Error(`--resume ${o.resume}: no config.yaml there`);
        const cfg = loadConfig(SimclrConfigSchema, { file, sets: o.set });
        const stopAfterEpoch = parseStopAfter(o.stopAfter);
        const r = await runSimclrStudy(cfg, {
          runsRoot: o.runs,
          argv: process.argv.slice(2),
          resumeFrom: o.resume,
          stopAfterEpoch,
        });
        if (!r.main) return; // a data-parallel worker other than rank 0 (facelab launch): rank 0 reports
        printHeadline(r.summary);
        await report(r.dir, o.report);
      },
    );

  cmd
    .command("finetune")
    .description("evaluate a pretraining checkpoint (any epoch) with the run's evaluation settings")
    .argument("<checkpoint>", "runs/<run>/checkpoints/step-XXXXXXXX.safetensors, or a run dir (latest checkpoint)")
    .option("--set <key=value>", "override a config value (repeatable)", collect, [])
    .option("--runs <dir>", "runs root", "runs")
    .option("--no-report", "skip writing report.html")
    .action(async (arg: string, o: { set: string[]; runs: string; report: boolean }) => {
      let ckpt = arg;
      if (existsSync(join(arg, "checkpoints"))) {
        const models = readdirSync(join(arg, "checkpoints"))
          .filter((f) => /^step-\d+\.safetensors$/.test(f))
          .sort();
        if (models.length === 0) throw new Error(`${arg} has no checkpoints`);
        ckpt = join(arg, "checkpoints", models.at(-1)!);
      }
      if (!existsSync(ckpt)) throw new Error(`checkpoint ${ckpt} not found`);
      const runDir = dirname(dirname(ckpt));
      const cfg = loadConfig(SimclrConfigSchema, { file: join(runDir, "config.yaml"), sets: o.set });
      const r = await runSimclrStudy(
        { ...cfg, name: `${cfg.name}-finetune` },
        { runsRoot: o.runs, argv: process.argv.slice(2), fromCheckpoint: ckpt },
      );
      if (!r.main) return;
      printHeadline(r.summary);
      await report(r.dir, o.report);
    });

  cmd
    .command("recipes")
    .description("list the SimCLR and BYOL recipes in configs/")
    .action(() => {
      for (const name of pretrainRecipes()) console.log(name);
    });
}

// `facelab demo`: the README's main job. Runs every stage on built-in data (no downloads) and ends
// with HTML reports a person can open. Stages can be picked with --only.
import { resolve } from "node:path";
import type { Command } from "commander";
import { runBiasDemo } from "../../studies/bias/demo.js";
import { runSimclrDemo } from "../../studies/simclr/demo.js";
import { runFmnistSupervised } from "../../studies/supervised/fmnist.js";
import { buildInfo } from "../../torch/index.js";
import { DEFAULT_PORT } from "./serve.js";

interface Stage {
  name: string;
  what: string;
  run(runsRoot: string): Promise<string[]>;
}

const stages: Stage[] = [
  {
    name: "engine",
    what: "ResNet-18 trained on Fashion-MNIST (supervised, LibTorch engine end to end)",
    async run(root) {
      const r = await runFmnistSupervised({ runsRoot: root });
      console.log(`  test accuracy ${(100 * r.testAccuracy).toFixed(1)}% (chance 10%)`);
      return [r.dir];
    },
  },
  {
    name: "simclr",
    what: "SimCLR on synthetic faces: pretrain, then gender and race by linear probe / fine-tune vs baselines",
    async run(root) {
      const r = await runSimclrDemo({ runsRoot: root, log: (m) => console.log(`  ${m}`) });
      return [r.dir];
    },
  },
  {
    name: "bias",
    what: "face recognition bias study on synthetic faces: imbalance splits x losses x seeds, with CIs",
    async run(root) {
      const r = await runBiasDemo({ runsRoot: root, log: (m) => console.log(`  ${m}`) });
      if (r.failed.length) console.log(`  ${r.failed.length} cell(s) failed: ${r.failed.map((f) => f.id).join(", ")}`);
      return [r.dir];
    },
  },
];

export function register(program: Command): void {
  program
    .command("demo")
    .description("run the demo on built-in data (Fashion-MNIST, synthetic faces) and write reports")
    .option("--runs <dir>", "where run directories go", "runs/demo")
    .option("--only <stages>", `comma-separated subset of: ${stages.map((s) => s.name).join(", ")}`)
    .action(async (o: { runs: string; only?: string }) => {
      const root = resolve(o.runs);
      const wanted = o.only?.split(",").map((s) => s.trim());
      const unknown = wanted?.filter((w) => !stages.some((s) => s.name === w)) ?? [];
      if (unknown.length) throw new Error(`unknown demo stage(s): ${unknown.join(", ")}`);
      const info = buildInfo();
      console.log(`facelab demo — LibTorch ${info.torchVersion}, ${info.numThreads} threads, BLAS ${info.blas}`);
      const { writeReport } = await import("../../report/index.js");
      const reports: string[] = [];
      for (const s of stages) {
        if (wanted && !wanted.includes(s.name)) continue;
        console.log(`\n▶ ${s.name}: ${s.what}`);
        const dirs = await s.run(root);
        for (const d of dirs) reports.push((await writeReport(d)).html);
      }
      console.log("\nReports:");
      for (const r of reports) console.log(`  ${r}`);
      console.log(`\nDashboard: npx facelab serve --runs ${o.runs}   (then open http://127.0.0.1:${DEFAULT_PORT})`);
    });
}

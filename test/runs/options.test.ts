import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Command } from "commander";
import YAML from "yaml";
import { z } from "zod";
import { addRunOptions, type RunCliOptions, startRun } from "../../src/runs/options.js";

const dir = mkdtempSync(join(tmpdir(), "facelab-opts-"));
const saved = { q: process.env.FACELAB_QUIET, l: process.env.FACELAB_LOG };
after(() => {
  rmSync(dir, { recursive: true, force: true });
  process.env.FACELAB_QUIET = saved.q;
  process.env.FACELAB_LOG = saved.l;
  if (saved.q === undefined) delete process.env.FACELAB_QUIET;
  if (saved.l === undefined) delete process.env.FACELAB_LOG;
});

const schema = z.object({ epochs: z.number().int(), optim: z.object({ lr: z.number(), nesterov: z.boolean() }) });

async function parse(argv: string[]): Promise<RunCliOptions> {
  let got: RunCliOptions | undefined;
  const program = new Command().exitOverride();
  addRunOptions(program.command("train")).action((o: RunCliOptions) => {
    got = o;
  });
  await program.parseAsync(["node", "facelab", "train", ...argv]);
  return got!;
}

test("--config, repeated --set, --runs and --name produce a validated run directory", async () => {
  const file = join(dir, "c.yaml");
  writeFileSync(file, "epochs: 5\noptim: {lr: 0.1, nesterov: false}\n");
  const opts = await parse([
    "-c",
    file,
    "--set",
    "optim.lr=0.05",
    "-s",
    "optim.nesterov=true",
    "--runs",
    join(dir, "runs"),
    "--name",
    "exp",
    "--json-log",
  ]);
  const { run, config } = await startRun(opts, schema, { name: "train" });
  assert.deepEqual(config, { epochs: 5, optim: { lr: 0.05, nesterov: true } });
  assert.match(run.dir, /runs\/exp-\d{8}-\d{6}$/);
  assert.deepEqual(YAML.parse(readFileSync(join(run.dir, "config.yaml"), "utf8")), config);
  assert.equal(process.env.FACELAB_LOG, "json");
  run.finish();
});

test("an unknown --set key fails before any directory is made", async () => {
  const opts = await parse([
    "--set",
    "epochs=1",
    "--set",
    "optim.lr=1",
    "--set",
    "optim.nesterov=false",
    "--set",
    "optim.beta=2",
    "--runs",
    join(dir, "none"),
  ]);
  await assert.rejects(startRun(opts, schema, { name: "t" }), /unknown config key "optim\.beta"/);
  assert.throws(() => readFileSync(join(dir, "none")), /ENOENT/);
});

// facelab <command>: the command-line entry. Each command lives in src/cli/commands/<name>.ts and
// exports `register(program)`; add new ones to the list below.
import { Command } from "commander";

const commands = ["bias-study", "data", "demo", "export", "launch", "report", "serve", "simclr", "train"] as const;

const program = new Command("facelab")
  .description("Self-supervised and fairness-aware face classification research on LibTorch")
  .showHelpAfterError()
  // Global, so it reaches every command that loads a checkpoint (simclr evaluate/run --resume,
  // export, …) and, through the environment, the workers `facelab launch` starts (#14).
  .option("--strict-finite", "a loaded checkpoint with NaN/Inf weights is an error (default: a warning naming them)")
  .hook("preAction", (cmd) => {
    if (cmd.opts().strictFinite) process.env.FACELAB_STRICT_FINITE = "1";
  });

for (const name of commands) {
  const mod = (await import(`./commands/${name}.js`)) as { register(p: Command): void };
  mod.register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Errors a user caused (bad config, missing files) print as one clear line, not a stack.
  const err = e as Error;
  console.error(`facelab: ${err.message}`);
  if (process.env.FACELAB_DEBUG) console.error(err.stack);
  process.exitCode = 1;
}

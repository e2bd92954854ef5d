// facelab export <run dir | checkpoint> --backbone out.safetensors: the encoder alone, with
// torchvision parameter names, for PyTorch users (torchvision.models.resnetNN). Prints what differs
// from torchvision's module (CIFAR stem, input channels, blocks per stage) and the Python that loads it.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { torchvisionBackbone } from "../../models/export.js";
import { loadFile, saveFile } from "../../torch/safetensors.js";

/** A checkpoint file, or a run dir's newest model checkpoint (checkpoints/step-N.safetensors). */
export function resolveCheckpoint(arg: string): string {
  if (!existsSync(arg)) throw new Error(`export: ${arg} does not exist (give a run dir or a .safetensors checkpoint)`);
  if (!statSync(arg).isDirectory()) {
    if (!arg.endsWith(".safetensors")) throw new Error(`export: ${arg} is not a .safetensors checkpoint`);
    return arg;
  }
  const dir = existsSync(join(arg, "checkpoints")) ? join(arg, "checkpoints") : arg;
  const models = readdirSync(dir)
    .filter((f) => /^step-\d+\.safetensors$/.test(f))
    .sort();
  if (models.length === 0) throw new Error(`export: no checkpoints/step-*.safetensors in ${arg}`);
  return join(dir, models.at(-1) as string);
}

export function exportBackbone(arg: string, out: string, prefix?: string): string[] {
  const file = resolveCheckpoint(arg);
  const state = loadFile(file);
  try {
    const b = torchvisionBackbone(state, { prefix, where: file });
    const a = b.arch;
    const python = b.python(resolve(out));
    saveFile(b.tensors, out, {
      format: "facelab-backbone",
      source: resolve(file),
      source_prefix: b.prefix,
      arch: a.name ?? "custom",
      block: a.block,
      layers: JSON.stringify(a.layers),
      cifar_stem: String(a.cifarStem),
      in_channels: String(a.inChannels),
      python,
    });
    return [
      `wrote ${out}: ${b.tensors.size} tensors of ${a.name ?? `ResNet(${a.block}, [${a.layers}])`} from ${file}` +
        (b.prefix ? ` (prefix "${b.prefix}" removed)` : ""),
      ...b.differences.map((d) => `  differs from torchvision: ${d}`),
      "load it in PyTorch:",
      ...python.split("\n").map((l) => `  ${l}`),
    ];
  } finally {
    for (const t of state.values()) t.dispose();
  }
}

export function register(program: Command): void {
  program
    .command("export")
    .description("write a run's or checkpoint's encoder with torchvision parameter names")
    .argument("<run-or-checkpoint>", "a run dir (its newest checkpoint) or a .safetensors checkpoint")
    .requiredOption("--backbone <file>", "output .safetensors file for the encoder alone")
    .option("--prefix <prefix>", "the encoder's key prefix when a checkpoint holds several ResNets (e.g. encoder.)")
    .action((arg: string, o: { backbone: string; prefix?: string }) => {
      for (const line of exportBackbone(arg, o.backbone, o.prefix)) console.log(line);
    });
}

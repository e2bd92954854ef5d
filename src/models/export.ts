// The encoder of a checkpoint as a torchvision ResNet state dict: finds the ResNet inside a state
// dict (SimCLR's `encoder.*`, a recognizer's `backbone.*`, a bare classifier), strips the prefix,
// drops the classifier, names the torchvision architecture, checks every key and shape against the
// ResNet facelab's own builder makes for it, and says how PyTorch loads it. facelab's parameter
// names are torchvision's (resnet.ts), so the tensors themselves are unchanged.
import { TorchError } from "../torch/errors.js";
import type { Tensor } from "../torch/tensor.js";
import { BasicBlock, Bottleneck, RESNETS, type ResNetName, resnet } from "./resnet.js";

export interface ResNetArch {
  block: "BasicBlock" | "Bottleneck";
  layers: [number, number, number, number];
  /** torchvision factory with these blocks per stage, or null (a custom `ResNet(block, layers)`) */
  name: ResNetName | null;
  /** 3×3 stride-1 first conv and no max-pool (facelab's cifarStem) instead of torchvision's 7×7/2 + pool */
  cifarStem: boolean;
  inChannels: number;
  /** first conv's output channels (torchvision: 64; other values come from facelab's widthMultiplier) */
  stemWidth: number;
}

export interface BackboneExport {
  /** torchvision names, no classifier; the tensors are the checkpoint's own (not copies) */
  tensors: Map<string, Tensor>;
  /** prefix the encoder had in the checkpoint ("encoder.", "backbone.", "") */
  prefix: string;
  arch: ResNetArch;
  /** what torchvision cannot express as is (empty when `torchvision.models.<name>()` loads it untouched) */
  differences: string[];
  /** Python that builds the matching torchvision module and loads the file (PyTorch ≥ 1.13, torchvision) */
  python: (file: string) => string;
}

const LAYERS: Record<string, [number, number, number, number]> = {
  resnet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
  resnet50: [3, 4, 6, 3],
  resnet101: [3, 4, 23, 3],
  resnet152: [3, 8, 36, 3],
};

/** Prefixes p such that p + "conv1.weight" and p + "layer1.0.conv1.weight" are both keys. */
export function resnetPrefixes(keys: Iterable<string>): string[] {
  const all = new Set(keys);
  return [...all]
    .filter((k) => k.endsWith("conv1.weight") && !k.includes("layer"))
    .map((k) => k.slice(0, -"conv1.weight".length))
    .filter((p) => all.has(`${p}layer1.0.conv1.weight`))
    .sort();
}

function choosePrefix(keys: string[], wanted: string | undefined, where: string): string {
  const found = resnetPrefixes(keys);
  if (wanted !== undefined) {
    const p = wanted === "" || wanted.endsWith(".") ? wanted : `${wanted}.`;
    if (!found.includes(p))
      throw new TorchError(
        `${where}: no ResNet under prefix "${p}" (found: ${found.map((f) => `"${f}"`).join(", ") || "none"})`,
        "ValueError",
      );
    return p;
  }
  // A momentum/target copy (BYOL, MoCo) is not the encoder one evaluates.
  const live = found.filter((p) => !/(^|\.)(target|momentum|teacher)[._]/.test(p));
  if (live.length === 1) return live[0] as string;
  if (found.length === 0)
    throw new TorchError(
      `${where}: no torchvision-style ResNet in this checkpoint (no <prefix>conv1.weight with <prefix>layer1.0.conv1.weight; ` +
        `first keys: ${keys.slice(0, 5).join(", ")}). Only ResNet encoders have torchvision names.`,
      "ValueError",
    );
  throw new TorchError(
    `${where}: several ResNets (${found.map((f) => `"${f}"`).join(", ")}); choose one with --prefix`,
    "ValueError",
  );
}

function inferArch(state: Map<string, Tensor>, where: string): ResNetArch {
  const conv1 = state.get("conv1.weight") as Tensor;
  const [stemWidth, inChannels, k] = conv1.shape as [number, number, number];
  if (conv1.ndim !== 4 || (k !== 3 && k !== 7))
    throw new TorchError(`${where}: conv1.weight [${conv1.shape}] is neither a 7×7 nor a 3×3 stem`, "ValueError");
  const layers = [1, 2, 3, 4].map((i) => {
    const blocks = new Set<number>();
    for (const key of state.keys()) {
      const m = new RegExp(`^layer${i}\\.(\\d+)\\.`).exec(key);
      if (m) blocks.add(Number(m[1]));
    }
    if (blocks.size === 0) throw new TorchError(`${where}: no blocks in layer${i}`, "ValueError");
    return blocks.size;
  }) as [number, number, number, number];
  const block = state.has("layer1.0.conv3.weight") ? "Bottleneck" : "BasicBlock";
  const name =
    (Object.keys(RESNETS) as ResNetName[]).find(
      (n) =>
        LAYERS[n]?.join() === layers.join() &&
        (block === "Bottleneck") === ["resnet50", "resnet101", "resnet152"].includes(n),
    ) ?? null;
  return { block, layers, name, cifarStem: k === 3, inChannels, stemWidth };
}

/** Every key and shape must be those of facelab's ResNet with this architecture (headless). */
function checkAgainstBuilder(state: Map<string, Tensor>, arch: ResNetArch, where: string): void {
  const ref = resnet(arch.block === "Bottleneck" ? Bottleneck : BasicBlock, arch.layers, {
    numClasses: 0,
    cifarStem: arch.cifarStem,
    inChannels: arch.inChannels,
    widthMultiplier: arch.stemWidth / 64,
  });
  const problems: string[] = [];
  try {
    const expected = new Map<string, number[]>();
    for (const [k, v] of ref.stateDict()) {
      expected.set(k, v.shape);
      v.dispose();
    }
    for (const [k, shape] of expected) {
      const got = state.get(k);
      if (got === undefined) problems.push(`missing ${k}`);
      else if (got.shape.join() !== shape.join()) problems.push(`${k}: [${got.shape}] where [${shape}] is expected`);
    }
    for (const k of state.keys()) if (!expected.has(k)) problems.push(`unexpected ${k}`);
  } finally {
    ref.dispose();
  }
  if (problems.length > 0)
    throw new TorchError(
      `${where}: not a ${arch.name ?? "ResNet"} encoder with torchvision names:\n  ${problems.slice(0, 12).join("\n  ")}` +
        (problems.length > 12 ? `\n  … and ${problems.length - 12} more` : ""),
      "ValueError",
    );
}

function differences(a: ResNetArch): string[] {
  const out: string[] = [];
  if (a.name === null)
    out.push(`blocks per stage [${a.layers}] match no torchvision factory: build ResNet(${a.block}, [${a.layers}])`);
  if (a.cifarStem) out.push(`CIFAR stem: conv1 is 3×3 stride 1 (torchvision: 7×7 stride 2) and there is no max-pool`);
  if (a.inChannels !== 3) out.push(`conv1 takes ${a.inChannels} input channel(s) (torchvision: 3)`);
  if (a.stemWidth !== 64)
    out.push(
      `width ${a.stemWidth / 64}× (conv1 has ${a.stemWidth} channels): torchvision's ResNet has no width multiplier, so no torchvision module matches`,
    );
  out.push("no fc: the file holds the encoder only; set fc = Identity (features out) or load with strict=False");
  return out;
}

function python(a: ResNetArch, file: string): string {
  const build =
    a.name !== null
      ? `m = torchvision.models.${a.name}()`
      : `m = torchvision.models.resnet.ResNet(torchvision.models.resnet.${a.block}, [${a.layers.join(", ")}])`;
  const lines = ["import torch, torchvision", "from safetensors.torch import load_file", build];
  if (a.cifarStem || a.inChannels !== 3) {
    const conv = a.cifarStem ? "kernel_size=3, stride=1, padding=1" : "kernel_size=7, stride=2, padding=3";
    lines.push(`m.conv1 = torch.nn.Conv2d(${a.inChannels}, ${a.stemWidth}, ${conv}, bias=False)`);
  }
  if (a.cifarStem) lines.push("m.maxpool = torch.nn.Identity()");
  lines.push("m.fc = torch.nn.Identity()", `m.load_state_dict(load_file(${JSON.stringify(file)}))`, "m.eval()");
  return lines.join("\n");
}

/**
 * The encoder of `state` under torchvision names. Validates before returning: the error lists every
 * missing, unexpected or misshapen tensor. `where` names the checkpoint in messages.
 */
export function torchvisionBackbone(
  state: Map<string, Tensor>,
  o: { prefix?: string; where?: string } = {},
): BackboneExport {
  const where = o.where ?? "checkpoint";
  const prefix = choosePrefix([...state.keys()], o.prefix, where);
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of state)
    if (k.startsWith(prefix) && !k.startsWith(`${prefix}fc.`)) tensors.set(k.slice(prefix.length), v);
  const arch = inferArch(tensors, where);
  checkAgainstBuilder(tensors, arch, where);
  return { tensors, prefix, arch, differences: differences(arch), python: (file) => python(arch, file) };
}

// The bias study's configuration (configs/bias-*.yaml) and its expansion into grid cells:
// splits × losses × seeds. Unknown keys are errors, so a typo never silently falls back to a default.
import { z } from "zod";
import { type LossConfig, LossConfigSchema } from "../../losses/index.js";
import { computeFields } from "../../methods/compute.js";
import { faceRecModelSchema } from "../../models/facerec.js";

const proportions = z.record(z.string(), z.number().min(0).max(1));

/** One training split: the share of each demographic group among the training identities. */
const splitSchema = z.strictObject({
  name: z.string().optional(),
  proportions,
});

/**
 * A sweep over one focus group's share, the others sharing the rest equally — the seed's
 * "gender 50/50 … 10/90" and "race by % White (20–90%)" studies.
 */
const sweepSchema = z.strictObject({
  focus: z.string(),
  levels: z.array(z.number().gt(0).lt(1)).min(1),
});

export const biasConfigSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, "use letters, digits, '.', '_' or '-' (it names a folder)"),
  description: z.string().optional(),
  ...computeFields,
  data: z
    .strictObject({
      /** "auto" = UTKFace when utkfaceDir is given, synthetic faces otherwise. */
      source: z.enum(["auto", "utkface", "synthetic"]).default("auto"),
      utkfaceDir: z.string().optional(),
      /** The demographic attribute the splits vary: gender, race, or any attribute the data has. */
      attribute: z.string().default("gender"),
      /** Group names in display order; every split's proportions are over these. */
      groups: z.array(z.string()).min(2),
      imageSize: z.number().int().min(8).max(256).default(32),
      /** Training identities per split (each original image is one identity, UTKFace has no ids). */
      identities: z.number().int().min(4).default(200),
      /** Augmented training copies per identity (seed: 16). */
      copies: z.number().int().min(1).default(16),
      /** Disjoint people never trained on (seed: 25). */
      unseen: z.number().int().min(2).default(25),
      /**
       * Synthetic faces only: per-photo variation (pose, light, expression, backdrop lightness; 1 = the
       * renderer's default, 0 = every photo of a person identical), drawn in data.ts's BIAS_FACES look.
       * 0.3 keeps a planted effect visible at CI scale. Measured (#12; 24 px, 40 identities and 40
       * unseen per group, 8 copies, convnet width 8, 6 epochs, softmax — test/studies/bias/grid.test.ts's
       * budget; accuracy gap b − a, 95% CI over test images): planted strength 0.8, seeds 0–4: −0.225
       * [−0.45, −0.05], −0.35 [−0.55, −0.13], −0.525 [−0.70, −0.35], −0.275 [−0.48, −0.08], −0.175
       * [−0.40, 0.05]; nothing planted: +0.175 [−0.10, 0.38], −0.025, +0.075, +0.20 [−0.10, 0.40],
       * +0.05 (every CI covers 0). The CI counts test images, not the draw of people, so a single seed's
       * null gap spreads about ±0.2 (seed 0's leans to b: +0.175). At 32 px with the same budget the
       * planted gap is weaker: −0.10 (seed 0) and −0.175 [−0.375, 0.00] (seed 1), nulls +0.225, +0.10;
       * a larger study (configs/bias-synthetic.yaml) has more people per group. With the default look
       * (colour backdrops, whole canvas, scale 1) the same 24 px planted runs gave −0.20 [−0.40, 0.00]
       * at variation 1 and −0.05 at 0: photos told people apart by backdrop hue, not by face.
       */
      variation: z.number().min(0).max(2).default(0.3),
      /** Synthetic faces only: a planted effect, e.g. one group's identities harder to tell apart. */
      planted: z.strictObject({ group: z.string(), strength: z.number().min(0).max(1) }).optional(),
    })
    .prefault({ groups: ["male", "female"] }),
  splits: z.union([z.array(splitSchema).min(1), sweepSchema]),
  losses: z.array(LossConfigSchema).min(1),
  seeds: z.array(z.number().int().min(0)).min(1).default([0]),
  model: faceRecModelSchema,
  train: z
    .strictObject({
      epochs: z.number().int().min(1).default(10),
      batchSize: z.number().int().min(2).default(64),
      lr: z.number().positive().default(0.1),
      momentum: z.number().min(0).max(1).default(0.9),
      weightDecay: z.number().min(0).default(5e-4),
      warmupEpochs: z.number().min(0).default(0),
      augment: z.boolean().default(true),
    })
    .prefault({}),
  eval: z
    .strictObject({
      /** The seed's "identified" rule: max softmax above this (Figure 9). */
      identifiedThreshold: z.number().gt(0).lt(1).default(0.9),
      /** Verification operating point: threshold fixed where the whole population's FMR equals this. */
      far: z.number().gt(0).lt(1).default(0.01),
      /** Open-set operating point: threshold fixed where the whole population's FPIR equals this. */
      fpir: z.number().gt(0).lt(1).default(0.1),
      impostorsPerProbe: z.number().int().min(1).default(20),
      eceBins: z.number().int().min(2).default(15),
      temperatureScaling: z.boolean().default(true),
      bootstrap: z.number().int().min(50).default(1000),
      ciLevel: z.number().gt(0.5).lt(1).default(0.95),
      /** Groups with fewer units than this get a warning: their CI is too wide to mean much. */
      minGroupSamples: z.number().int().min(1).default(30),
    })
    .prefault({}),
  /** What the study set out to test (issue #13): analysis only, so changing it never reruns a cell. */
  analysis: z
    .strictObject({
      /**
       * The declared primary hypotheses, reported with Holm-adjusted p-values; every other claim is
       * secondary and gets a Benjamini–Hochberg q-value. Default: the focus group's accuracy-gap trend
       * with its training share, one hypothesis per loss.
       */
      primary: z
        .array(
          z.strictObject({
            kind: z.enum(["trend", "gap"]),
            metric: z.string(),
            loss: z.string().optional(),
            split: z.string().optional(),
          }),
        )
        .min(1)
        .default([{ kind: "trend", metric: "accuracy" }]),
      /** Adjusted p / q at or below this count as findings. */
      alpha: z.number().gt(0).lt(0.5).default(0.05),
    })
    .prefault({}),
});

export type BiasConfig = z.infer<typeof biasConfigSchema>;
export type LossSpec = { name: string; label: string; config: LossConfig };

export interface Split {
  name: string;
  proportions: Record<string, number>;
  /** The x of trend charts: the focus group's share (or the first group's share). */
  level: number;
}

export interface Cell {
  id: string;
  split: Split;
  loss: LossSpec;
  seed: number;
}

/** Parses and checks a config object; errors name the key and what was wrong. */
export function parseBiasConfig(raw: unknown): BiasConfig {
  const res = biasConfigSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid bias-study config:\n${lines.join("\n")}`);
  }
  const cfg = res.data;
  expandSplits(cfg); // validates proportions against groups
  lossSpecs(cfg);
  return cfg;
}

export function focusGroup(cfg: BiasConfig): string {
  return Array.isArray(cfg.splits) ? (cfg.data.groups[0] as string) : cfg.splits.focus;
}

const pct = (p: number) => Math.round(p * 1000) / 10;

/** The splits as explicit proportions over cfg.data.groups, each summing to 1. */
export function expandSplits(cfg: BiasConfig): Split[] {
  const groups = cfg.data.groups;
  if (new Set(groups).size !== groups.length) throw new Error(`data.groups has duplicates: ${groups.join(", ")}`);
  if (!Array.isArray(cfg.splits)) {
    const { focus, levels } = cfg.splits;
    if (!groups.includes(focus))
      throw new Error(`splits.focus "${focus}" is not one of data.groups (${groups.join(", ")})`);
    const others = groups.filter((g) => g !== focus);
    return levels.map((level) => {
      const proportions: Record<string, number> = { [focus]: level };
      for (const g of others) proportions[g] = (1 - level) / others.length;
      const name = groups.map((g) => pct(proportions[g] as number)).join("/");
      return { name, proportions, level };
    });
  }
  const focus = groups[0] as string;
  return cfg.splits.map((s, i) => {
    for (const g of Object.keys(s.proportions))
      if (!groups.includes(g))
        throw new Error(`splits[${i}].proportions has group "${g}", not one of data.groups (${groups.join(", ")})`);
    const proportions: Record<string, number> = {};
    for (const g of groups) proportions[g] = s.proportions[g] ?? 0;
    const total = Object.values(proportions).reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-6) throw new Error(`splits[${i}].proportions sum to ${total}, expected 1`);
    const name = s.name ?? groups.map((g) => pct(proportions[g] as number)).join("/");
    return { name, proportions, level: proportions[focus] as number };
  });
}

export function lossSpecs(cfg: BiasConfig): LossSpec[] {
  const specs = cfg.losses.map((l) => ({ name: l.name, label: l.label ?? l.name, config: l }));
  const labels = specs.map((s) => s.label);
  if (new Set(labels).size !== labels.length)
    throw new Error(`losses: two entries share a label (${labels.join(", ")}); give each a "label"`);
  return specs;
}

/** A folder-safe id for a cell, stable across runs so a rerun finds finished cells. */
export function cellId(split: Split, loss: LossSpec, seed: number): string {
  const s = split.name.replace(/[^\w.-]+/g, "-");
  return `${s}__${loss.label.replace(/[^\w.-]+/g, "-")}__s${seed}`;
}

/** The grid in run order: split-major, so early results already cover every loss of one split. */
export function cells(cfg: BiasConfig): Cell[] {
  const out: Cell[] = [];
  for (const split of expandSplits(cfg))
    for (const loss of lossSpecs(cfg))
      for (const seed of cfg.seeds) out.push({ id: cellId(split, loss, seed), split, loss, seed });
  return out;
}

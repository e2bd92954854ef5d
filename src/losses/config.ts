// The head/loss registry: a loss named in a config (`loss: {name: arcface, margin: 0.5, scale: 64}`)
// is checked here — a discriminated union by name, one key per meaning, every default taken from
// LOSS_DEFAULTS, unknown keys errors — and turned into its head (heads.ts) by HEADS[name].
import { z } from "zod";
import { LOSS_DEFAULTS as D } from "./defaults.js";
import {
  ArcFaceHead,
  type ClassifierHead,
  CosFaceHead,
  type HeadFactoryOptions,
  RingSoftmaxHead,
  SoftmaxHead,
  SphereFaceHead,
  SphereFaceRHead,
} from "./heads.js";

const positive = z.number().gt(0);
/** How reports and cell ids name this entry (default: the loss name). */
const label = z.string().min(1).optional();
const labelSmoothing = z.number().min(0).lt(1).default(D.softmax.labelSmoothing);

const softmax = z.strictObject({ name: z.literal("softmax"), label, labelSmoothing });
const ring = z.strictObject({
  name: z.literal("ring"),
  label,
  type: z.enum(["l2", "ratio"]).default(D.ring.type),
  /** λ; absent = LOSS_DEFAULTS.ring.weight[type] (0.01 for l2, 1 for ratio). */
  weight: positive.optional(),
  /** Initial R; absent = the first training batch's mean feature norm (official code). */
  radius: positive.optional(),
  labelSmoothing,
});
const sphereface = z.strictObject({
  name: z.literal("sphereface"),
  label,
  m: z.number().int().min(1).default(D.sphereface.m),
  lambda: z
    .strictObject({
      base: positive.default(D.sphereface.lambda.base),
      gamma: z.number().min(0).default(D.sphereface.lambda.gamma),
      power: z.number().min(0).default(D.sphereface.lambda.power),
      min: z.number().min(0).default(D.sphereface.lambda.min),
    })
    .prefault({}),
});
const sphereFaceR = z.strictObject({
  name: z.literal("sphereface-r"),
  label,
  multiplier: z.number().min(1).default(D["sphereface-r"].multiplier),
  scale: positive.default(D["sphereface-r"].scale),
});
const cosface = z.strictObject({
  name: z.literal("cosface"),
  label,
  margin: z.number().min(0).default(D.cosface.margin),
  scale: positive.default(D.cosface.scale),
});
const arcface = z.strictObject({
  name: z.literal("arcface"),
  label,
  margin: z
    .number()
    .min(0)
    .lt(Math.PI / 2)
    .default(D.arcface.margin),
  scale: positive.default(D.arcface.scale),
  easyMargin: z.boolean().default(D.arcface.easyMargin),
});

export const HEAD_NAMES = ["softmax", "ring", "sphereface", "sphereface-r", "cosface", "arcface"] as const;
export type HeadName = (typeof HEAD_NAMES)[number];

const union = z.discriminatedUnion("name", [softmax, ring, sphereface, sphereFaceR, cosface, arcface], {
  error: (iss) =>
    iss.code === "invalid_union"
      ? `unknown loss name ${JSON.stringify((iss.input as { name?: unknown } | undefined)?.name)}: expected one of ${HEAD_NAMES.join(", ")}`
      : undefined,
});

/** A loss in a config: an object with a known `name`, or the bare name for all defaults. */
export const LossConfigSchema = z.preprocess((v) => (typeof v === "string" ? { name: v } : v), union);
export type LossConfig = z.output<typeof union>;
export type LossConfigInput = z.input<typeof union> | HeadName;

/** Heads by loss name; each reads only its own config. */
export const HEADS: {
  [K in HeadName]: (
    c: Extract<LossConfig, { name: K }>,
    inFeatures: number,
    numClasses: number,
    f: HeadFactoryOptions,
  ) => ClassifierHead;
} = {
  softmax: (c, i, n, f) => new SoftmaxHead(i, n, { ...f, labelSmoothing: c.labelSmoothing }),
  ring: (c, i, n, f) =>
    new RingSoftmaxHead(i, n, {
      ...f,
      labelSmoothing: c.labelSmoothing,
      ring: { type: c.type, weight: c.weight, radius: c.radius },
    }),
  sphereface: (c, i, n, f) => new SphereFaceHead(i, n, { ...f, m: c.m, schedule: c.lambda }),
  "sphereface-r": (c, i, n, f) => new SphereFaceRHead(i, n, { ...f, scale: c.scale, multiplier: c.multiplier }),
  cosface: (c, i, n, f) => new CosFaceHead(i, n, { ...f, scale: c.scale, margin: c.margin }),
  arcface: (c, i, n, f) => new ArcFaceHead(i, n, { ...f, scale: c.scale, margin: c.margin, easyMargin: c.easyMargin }),
};

/** Checks a loss config (errors name the key) and fills in the defaults. */
export function parseLossConfig(raw: unknown, where = "loss"): LossConfig {
  const res = LossConfigSchema.safeParse(raw);
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => `  ${[where, ...i.path].join(".")}: ${i.message}`);
  throw new Error(`invalid ${where}:\n${lines.join("\n")}`);
}

/** The head of a loss config (or bare name), e.g. createHead({ name: "arcface", margin: 0.3 }, 512, 1000). */
export function createHead(
  loss: LossConfigInput | LossConfig,
  inFeatures: number,
  numClasses: number,
  f: HeadFactoryOptions = {},
): ClassifierHead {
  const c = parseLossConfig(loss);
  return (HEADS[c.name] as (c: LossConfig, i: number, n: number, f: HeadFactoryOptions) => ClassifierHead)(
    c,
    inFeatures,
    numClasses,
    f,
  );
}

// Emits TypeScript for one schema: a free function (aten.ts, F.*, torch.*) or a Tensor method.
// Output is already in the repository's format (biome, 120 columns), so the checked-in files equal
// the generator's output byte for byte.
import {
  atenName,
  camel,
  isHidden,
  parseSchema,
  type Schema,
  type SchemaArg,
  tsArgType,
  tsReturnType,
} from "./schema.js";

export interface Spec {
  /** exported function or method name */
  name: string;
  /** "add.Tensor" */
  op: string;
  /** TypeScript types that narrow a schema type, by schema argument name (e.g. gelu's approximate) */
  types?: Record<string, string>;
  /** schema arguments left to their defaults */
  omit?: string[];
  /** one-line description placed above the schema in the doc comment */
  doc?: string;
}

const WIDTH = 120;

interface Param {
  arg: SchemaArg;
  ts: string;
  tsType: string;
  optional: boolean;
}

/** Per schema argument: a parameter, "hidden" (never exposed anywhere) or "omitted" (left to the default here). */
type Slot = Param | "hidden" | "omitted";

function slots(schema: Schema, spec: Spec, skipFirst: boolean, renameSelf: boolean): Slot[] {
  const args = skipFirst ? schema.args.slice(1) : schema.args;
  for (const k of [...Object.keys(spec.types ?? {}), ...(spec.omit ?? [])])
    if (!args.some((a) => a.name === k)) throw new Error(`${spec.op}: spec names unknown argument '${k}'`);
  return args.map((arg): Slot => {
    const hidden = isHidden(arg);
    if (hidden || spec.omit?.includes(arg.name)) {
      if (arg.default === undefined && !arg.type.endsWith("?"))
        throw new Error(`${spec.op}: cannot leave out required argument '${arg.name}'`);
      return hidden ? "hidden" : "omitted";
    }
    const name = renameSelf && arg.name === "self" ? "input" : camel(arg.name);
    const tsType = spec.types?.[arg.name] ?? tsArgType(arg.type);
    return { arg, ts: name, tsType, optional: arg.default !== undefined || arg.type.endsWith("?") };
  });
}

const isParam = (s: Slot): s is Param => typeof s !== "string";

/** Arguments for callOp: every schema argument in order, dtype names converted, trailing defaults dropped. */
function callOpArgs(ss: Slot[]): string[] {
  const out = ss.map((s) => {
    if (!isParam(s)) return "undefined";
    const base = s.arg.type.replace(/\?$/, "");
    if (base === "ScalarType") return `st(${s.ts})`;
    // One int stands for the whole int[1] list (PyTorch's sum(dim=1)); made a list here because the
    // addon accepts a bare number for int[] but not for 2.x's SymInt[].
    if (/^(int|SymInt)\[1\]$/.test(base) && s.tsType.startsWith("number | number[]")) return `l(${s.ts})`;
    return s.ts;
  });
  while (out.at(-1) === "undefined") out.pop();
  return out;
}

/** Arguments for the aten function a method or F.* one-liner delegates to (hidden ones are not its parameters). */
function atenArgs(ss: Slot[]): string[] {
  const out = ss.filter((s) => s !== "hidden").map((s) => (isParam(s) ? s.ts : "undefined"));
  while (out.at(-1) === "undefined") out.pop();
  return out;
}

function signatureParams(ss: Slot[]): string[] {
  const visible = ss.filter(isParam);
  // `x?: T` only where every later parameter is optional too; earlier optional ones take undefined.
  let tailOptional = visible.length;
  while (tailOptional > 0 && (visible[tailOptional - 1] as Param).optional) tailOptional--;
  return visible.map((p, i) => {
    if (i >= tailOptional) return `${p.ts}?: ${p.tsType}`;
    return p.optional ? `${p.ts}: ${p.tsType} | undefined` : `${p.ts}: ${p.tsType}`;
  });
}

/** `head(a, b): R {` on one line, or one parameter per line as biome formats it. */
function wrapSignature(indent: string, head: string, items: string[], tail: string): string[] {
  const one = `${indent}${head}(${items.join(", ")})${tail}`;
  if (one.length <= WIDTH) return [one];
  return [`${indent}${head}(`, ...items.map((x) => `${indent}  ${x},`), `${indent})${tail}`];
}

function returnCall(indent: string, callee: string, args: string[]): string[] {
  return wrapSignature(`${indent}  `, `return ${callee}`, args, ";");
}

function doc(indent: string, schema: Schema, spec: Spec): string[] {
  const text = `aten::${schema.text.replace(/^aten::/, "")}`;
  if (!spec.doc) return [`${indent}/** ${text} */`];
  return [`${indent}/**`, `${indent} * ${spec.doc}`, `${indent} * ${text}`, `${indent} */`];
}

/** The typed function for one overload (generated/aten.ts): every exposed schema argument, in order. */
export function emitAten(schemaText: string): string[] {
  const schema = parseSchema(schemaText);
  const spec: Spec = { name: atenName(schema.name), op: schema.name };
  const ss = slots(schema, spec, false, false);
  const ret = tsReturnType(schema.returns);
  return [
    ...doc("", schema, spec),
    ...wrapSignature("", `export function ${spec.name}`, signatureParams(ss), `: ${ret} {`),
    ...(ret === "void"
      ? wrapSignature("  ", "callOp", [JSON.stringify(schema.name), ...callOpArgs(ss)], ";")
      : returnCall("", `callOp<${ret}>`, [JSON.stringify(schema.name), ...callOpArgs(ss)])),
    "}",
  ];
}

/** An F.* or torch.* one-liner over the aten function (the schema's `self` is called `input`). */
export function emitFunction(schemaText: string, spec: Spec): string[] {
  const schema = parseSchema(schemaText);
  const ss = slots(schema, spec, false, true);
  const ret = tsReturnType(schema.returns);
  return [
    ...doc("", schema, spec),
    ...wrapSignature("", `export function ${spec.name}`, signatureParams(ss), `: ${ret} {`),
    ...returnCall("", `aten.${atenName(schema.name)}`, atenArgs(ss)),
    "}",
  ];
}

/** A Tensor method: the schema's first argument (a Tensor) is `this`. */
export function emitMethod(schemaText: string, spec: Spec): string[] {
  const schema = parseSchema(schemaText);
  const first = schema.args[0];
  if (first?.type !== "Tensor") throw new Error(`${spec.op}: a method needs a Tensor first argument`);
  const ss = slots(schema, spec, true, false);
  const ret = tsReturnType(schema.returns);
  return [
    ...doc("  ", schema, spec),
    ...wrapSignature("  ", spec.name, ["this: Tensor", ...signatureParams(ss)], `: ${ret} {`),
    ...returnCall("  ", `aten.${atenName(schema.name)}`, ["this", ...atenArgs(ss)]),
    "  }",
  ];
}

// Parses a dispatcher schema string (as `schemaOf` prints it) into arguments and returns, and maps
// schema types to TypeScript types. Used by scripts/gen-ops.ts only.

export interface SchemaArg {
  name: string;
  /** schema type without alias annotations, e.g. "Tensor?", "int[1]", "ScalarType?" */
  type: string;
  default?: string;
  kwOnly: boolean;
}

export interface Schema {
  /** "add.Tensor" (no "aten::") */
  name: string;
  args: SchemaArg[];
  /** return types without alias annotations, e.g. ["Tensor", "Tensor"] or ["Tensor[]"] or [] */
  returns: string[];
  text: string;
}

/** Splits on commas that are not inside brackets, parentheses or quotes. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = "";
  let cur = "";
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** "Tensor(a!)" -> "Tensor", "Tensor(a -> *)" -> "Tensor", "Tensor(a)[]" -> "Tensor[]" */
const stripAlias = (t: string): string => t.replace(/\([^)]*\)/g, "");

export function parseSchema(text: string): Schema {
  const m = /^(?:aten::)?([\w.]+)\((.*)\) -> (.*)$/.exec(text.trim());
  if (!m) throw new Error(`cannot parse schema: ${text}`);
  const [, name, argText, retText] = m as unknown as [string, string, string, string];
  const args: SchemaArg[] = [];
  let kwOnly = false;
  for (const a of splitTop(argText)) {
    if (a === "*") {
      kwOnly = true;
      continue;
    }
    const am = /^(\S+(?:\([^)]*\))?\S*)\s+(\w+)(?:=(.*))?$/.exec(a);
    if (!am) throw new Error(`cannot parse argument '${a}' of ${text}`);
    const arg: SchemaArg = { name: am[2] as string, type: stripAlias(am[1] as string), kwOnly };
    if (am[3] !== undefined) arg.default = am[3];
    args.push(arg);
  }
  const r = retText.trim();
  const inner = r.startsWith("(") && r.endsWith(")") ? r.slice(1, -1) : r;
  const returns = splitTop(inner).map((x) => stripAlias(x.trim().split(/\s+/)[0] as string));
  return { name, args, returns, text: text.trim() };
}

/** Arguments the generated surface never exposes (only their schema default or None is ever passed). */
export const HIDDEN_TYPES = new Set(["Generator?", "Layout?"]);
export const isHidden = (a: SchemaArg): boolean => HIDDEN_TYPES.has(a.type) || a.name === "pin_memory";

/** TypeScript type of an argument. ScalarType arguments take a DType name (converted in the body). */
export function tsArgType(type: string): string {
  const optional = type.endsWith("?");
  const base = optional ? type.slice(0, -1) : type;
  const t = baseArgType(base);
  return optional ? `${t} | null` : t;
}

function baseArgType(base: string): string {
  const list = /^(\w+\??)\[(\d*)\]$/.exec(base);
  if (list) {
    const [, elem, n] = list as unknown as [string, string, string];
    const e = elem.endsWith("?") ? `(${baseArgType(elem.slice(0, -1))} | null)` : baseArgType(elem);
    // int[1] takes one int for the whole list in PyTorch (sum(dim=1)); the addon accepts that too.
    return n === "1" && (elem === "int" || elem === "SymInt") ? `number | number[]` : `${e}[]`;
  }
  switch (base) {
    case "Tensor":
      return "Tensor";
    case "int":
    case "SymInt":
    case "float":
    case "Scalar":
      return "number";
    case "bool":
      return "boolean";
    case "str":
      return "string";
    case "ScalarType":
      return "DType";
    case "MemoryFormat": // c10::MemoryFormat code: 0 contiguous, 1 preserve, 2 channels last
      return "number";
    case "Device":
      return "Device";
    default:
      throw new Error(`no TypeScript type for schema type '${base}'`);
  }
}

/** TypeScript type of the result. */
export function tsReturnType(returns: string[]): string {
  const one = (t: string): string => {
    if (t === "Tensor") return "Tensor";
    if (t === "Tensor[]") return "Tensor[]";
    if (t === "int" || t === "float" || t === "Scalar" || t === "SymInt") return "number";
    if (t === "bool") return "boolean";
    throw new Error(`no TypeScript type for return type '${t}'`);
  };
  if (returns.length === 0) return "void";
  if (returns.length === 1) return one(returns[0] as string);
  return `[${returns.map(one).join(", ")}]`;
}

const RESERVED = new Set(["in", "default", "function", "var", "new", "delete", "class", "return", "this", "with"]);

/** snake_case schema name -> camelCase TS parameter name */
export function camel(s: string): string {
  const c = camelRaw(s);
  return RESERVED.has(c) ? `${c}_` : c;
}

const camelRaw = (s: string): string => s.replace(/_+([a-zA-Z0-9])/g, (_, ch: string) => ch.toUpperCase());

/** "add_.Scalar" -> "addScalar_", "sum.dim_IntList" -> "sumDimIntList", "_to_copy" -> "_toCopy" */
export function atenName(op: string): string {
  const [base, overload = ""] = op.split(".") as [string, string?];
  const inplace = base.endsWith("_") && !base.endsWith("__");
  const stem = inplace ? base.slice(0, -1) : base;
  const lead = stem.startsWith("_") ? "_" : "";
  const core = camelRaw(stem.replace(/^_+/, ""));
  const ov = overload ? camelRaw(overload).replace(/^./, (c) => c.toUpperCase()) : "";
  const name = `${lead}${core}${ov}${inplace ? "_" : ""}`;
  return RESERVED.has(name) ? `${name}_` : name;
}

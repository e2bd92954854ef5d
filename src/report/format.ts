// Number formatting shared by every report format (HTML, Markdown, LaTeX) and the dashboard: rates as
// percent with one decimal, differences of rates in percentage points with a sign, p-values with
// three significant digits (below 0.001 as "< 0.001"), everything else with three significant digits.
// The unit goes in the column header, so cells carry numbers only.

export type Unit = "pct" | "pp" | "num" | "int" | "p";

/** A number with its unit and, optionally, its confidence interval. */
export interface Num {
  value: number | null;
  unit: Unit;
  ci?: [number, number];
}

const MINUS = "−";

function sig3(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e7) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

/** One number in its unit, without the unit sign; NaN/null → "—". */
export function formatValue(v: number | null | undefined, unit: Unit, signed = false): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  let s: string;
  switch (unit) {
    case "pct":
    case "pp":
      s = (v * 100).toFixed(1);
      if (s === "-0.0") s = "0.0";
      break;
    case "int":
      s = String(Math.round(v));
      break;
    case "p":
      return v < 0.001 ? "< 0.001" : sig3(v);
    default:
      s = sig3(v);
  }
  if (s.startsWith("-")) return MINUS + s.slice(1);
  return (signed || unit === "pp") && v > 0 ? `+${s}` : s;
}

/**
 * "85.1 [83.2, 87.0]" — the interval's ends without a plus sign. In a sentence the unit follows the
 * estimate: formatNum(n, "%") → "85.1% [83.2, 87.0]", formatNum(g, " points") → "+5.4 points [2.1, 8.7]".
 */
export function formatNum(n: Num, unitText = ""): string {
  const v = formatValue(n.value, n.unit) + (n.value === null || !Number.isFinite(n.value) ? "" : unitText);
  if (!n.ci?.every(Number.isFinite)) return v;
  const end = (x: number) => formatValue(x, n.unit === "pp" ? "pct" : n.unit);
  return `${v} [${end(n.ci[0])}, ${end(n.ci[1])}]`;
}

/** The header suffix of a unit: "accuracy (%)". */
export const UNIT_LABEL: Record<Unit, string> = { pct: "%", pp: "pp", num: "", int: "", p: "" };

/** camelCase / snake_case / kebab-case key → words ("testAccuracy" → "test accuracy"). */
export function humanize(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase()
    .trim();
}

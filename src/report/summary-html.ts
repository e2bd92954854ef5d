// A run without findings.json (an older run, a custom script): its summary.json shown as readable
// tables — key names in words, nested objects as their own small tables, lists of records as tables —
// never as JSON text or dotted key paths. The config lives at the end of the page, so it is skipped here.
import { humanize } from "./format.js";
import { cellText, esc } from "./page-html.js";

type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar => v === null || ["string", "number", "boolean"].includes(typeof v);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

const SKIP = new Set(["config"]);
const MAX_ROWS = 40;

/** A value as cell text: scalars formatted, short scalar lists joined, anything deeper summarised in words. */
export function valueText(v: unknown): { text: string; sort?: number } {
  if (typeof v === "boolean") return { text: v ? "yes" : "no" };
  if (typeof v === "string" || typeof v === "number" || v === null) return cellText(v);
  if (Array.isArray(v)) {
    if (v.every(isScalar) && v.length <= 12) return { text: v.map((x) => valueText(x).text).join(", ") };
    return { text: `${v.length} entries` };
  }
  if (isRecord(v)) {
    const entries = Object.entries(v);
    if (entries.every(([, x]) => isScalar(x)) && entries.length <= 6)
      return { text: entries.map(([k, x]) => `${humanize(k)} ${valueText(x).text}`).join("; ") };
    return { text: `${entries.length} entries` };
  }
  return { text: "" };
}

const td = (v: unknown): string => {
  const { text, sort } = valueText(v);
  return sort === undefined ? `<td>${esc(text)}</td>` : `<td class="num" data-v="${sort}">${esc(text)}</td>`;
};

function kvTable(title: string, entries: [string, unknown][]): string {
  const rows = entries.map(([k, v]) => `<tr><th scope="row">${esc(humanize(k))}</th>${td(v)}</tr>`).join("");
  return `<figure class="table"><figcaption>${esc(title)}</figcaption><table><tbody>${rows}</tbody></table></figure>`;
}

function recordsTable(title: string, list: Record<string, unknown>[]): string {
  const cols = [...new Set(list.flatMap((r) => Object.keys(r)))].filter((c) => list.some((r) => isScalar(r[c])));
  const shown = list.slice(0, MAX_ROWS);
  const more = list.length > MAX_ROWS ? `<p class="note">First ${MAX_ROWS} of ${list.length} rows.</p>` : "";
  return `<figure class="table"><figcaption>${esc(title)}</figcaption><div class="scroll"><table><thead><tr>${cols.map((c) => `<th>${esc(humanize(c))}</th>`).join("")}</tr></thead><tbody>${shown.map((r) => `<tr>${cols.map((c) => td(r[c])).join("")}</tr>`).join("")}</tbody></table></div>${more}</figure>`;
}

/** The summary as tables: top-level numbers first, then one table per nested object or list of records. */
export function summaryHtml(summary: Record<string, unknown>): string {
  const entries = Object.entries(summary).filter(([k]) => !SKIP.has(k));
  const flat = entries.filter(([, v]) => isScalar(v) || (Array.isArray(v) && v.every(isScalar)));
  const parts = flat.length ? [kvTable("Key numbers", flat)] : [];
  for (const [k, v] of entries) {
    if (isRecord(v)) {
      const inner = Object.entries(v);
      if (inner.length && inner.every(([, x]) => isRecord(x)))
        parts.push(
          recordsTable(
            humanize(k),
            inner.map(([name, x]) => ({ name, ...(x as Record<string, unknown>) })),
          ),
        );
      else parts.push(kvTable(humanize(k), inner));
    } else if (Array.isArray(v) && v.length && v.every(isRecord)) parts.push(recordsTable(humanize(k), v));
  }
  return parts.join("\n");
}

/** Top-level numbers of a summary, for a study's table of its runs. */
export function keyNumbers(summary: Record<string, unknown> | undefined): [string, number][] {
  return Object.entries(summary ?? {}).flatMap(([k, v]): [string, number][] =>
    typeof v === "number" ? [[humanize(k), v]] : [],
  );
}

// The findings page model (page.ts) as HTML: findings sentences, headline and metric-frame tables,
// guard warnings, the sortable/filterable claims table and the protocol. Used by the report and the
// dashboard, so both show the same words and numbers.
import { formatNum, formatValue } from "./format.js";
import type { Cell, Claim, Page, PageTable } from "./page.js";

export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The text of a cell and the number it sorts by. */
export function cellText(c: Cell): { text: string; sort?: number } {
  if (c === null) return { text: "—" };
  if (typeof c === "string") return { text: c };
  if (typeof c === "number") return { text: formatValue(c, Number.isInteger(c) ? "int" : "num"), sort: c };
  return { text: formatNum(c), ...(c.value !== null && { sort: c.value }) };
}

export const header = (c: { label: string; unit?: string }): string => (c.unit ? `${c.label} (${c.unit})` : c.label);

function td(c: Cell): string {
  const { text, sort } = cellText(c);
  return sort === undefined ? `<td>${esc(text)}</td>` : `<td class="num" data-v="${sort}">${esc(text)}</td>`;
}

export function pageTableHtml(t: PageTable, attrs = ""): string {
  const head = t.columns.map((c) => `<th>${esc(header(c))}</th>`).join("");
  const body = t.rows.map((r) => `<tr>${r.map(td).join("")}</tr>`).join("\n");
  const notes = (t.notes ?? []).map((n) => `<p class="note">${esc(n)}</p>`).join("");
  return `<figure class="table" id="table-${esc(t.id)}"><figcaption>${esc(t.title)}</figcaption><div class="scroll"><table${attrs}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${notes}</figure>`;
}

/** Findings, headline tables, then the lead charts (rendered by the caller), then warnings. */
export function findingsHtml(page: Page, leadChart: (id: string) => string | undefined): string {
  const parts = ['<section id="findings" class="findings">', "<h2>Findings</h2>"];
  if (page.findings.length)
    parts.push(`<ul class="findings-list">${page.findings.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>`);
  for (const t of page.tables.filter((t) => t.role === "headline")) parts.push(pageTableHtml(t, ' class="headline"'));
  if (page.warnings.length)
    parts.push(
      `<div class="warnings" role="note"><b>Guard warnings</b><ul>${page.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`,
    );
  for (const row of page.leadCharts) {
    const figs = row.map(leadChart).filter((x): x is string => x !== undefined);
    if (figs.length) parts.push(`<div class="row">${figs.join("\n")}</div>`);
  }
  for (const t of page.tables.filter((t) => t.role === "frame")) parts.push(pageTableHtml(t, ' class="frame"'));
  parts.push("</section>");
  return parts.join("\n");
}

export function detailTablesHtml(page: Page): string {
  return page.tables
    .filter((t) => t.role === "detail")
    .map((t) => pageTableHtml(t))
    .join("\n");
}

const CLAIM_COLUMNS = [
  "family",
  "kind",
  "metric",
  "split",
  "loss",
  "group",
  "estimate [95% CI]",
  "p",
  "adjusted p / q",
  "verdict",
];

function claimRow(c: Claim): string {
  const est = cellText(c.estimate);
  return `<tr data-family="${esc(c.family)}">${[c.family, c.kind, c.metric, c.split, c.loss, c.group].map((s) => `<td>${esc(s)}</td>`).join("")}<td class="num" data-v="${est.sort ?? ""}">${esc(est.text)}</td><td class="num" data-v="${c.p ?? ""}">${esc(formatValue(c.p, "p"))}</td><td class="num" data-v="${c.adjusted ?? ""}">${esc(formatValue(c.adjusted, "p"))}</td><td>${esc(c.verdict)}</td></tr>`;
}

/** Every claim, sortable by any column (click its header) and filterable by text and family. */
export function claimsHtml(claims: Claim[]): string {
  if (claims.length === 0) return "";
  const primary = claims.filter((c) => c.family === "primary").length;
  return `<section id="claims"><h2>All claims</h2>
<p class="meta">${primary} primary claim${primary === 1 ? "" : "s"} (the declared family; p adjusted by Holm's method) and ${claims.length - primary} secondary claims (Benjamini–Hochberg q-values over all of them). Click a column header to sort.</p>
<div class="filters"><label>filter <input type="search" id="claims-filter" placeholder="metric, loss, group, split…"></label>
<label>family <select id="claims-family"><option value="">all</option><option value="primary">primary</option><option value="secondary">secondary</option></select></label> <span id="claims-count">${claims.length} shown</span></div>
<div class="scroll"><table id="claims-table" class="sortable"><thead><tr>${CLAIM_COLUMNS.map((c, i) => `<th data-col="${i}" tabindex="0">${esc(c)}</th>`).join("")}</tr></thead>
<tbody>${claims.map(claimRow).join("\n")}</tbody></table></div></section>`;
}

/** The inline script behind sortable tables and the claims filter (the page stays self-contained). */
export const TABLE_SCRIPT = `<script>
for (const table of document.querySelectorAll("table.sortable")) {
  const body = table.tBodies[0];
  table.querySelectorAll("th").forEach((th, col) => {
    let asc = true;
    th.addEventListener("click", () => {
      const key = (tr) => { const td = tr.cells[col]; const v = td.dataset.v; return v !== undefined && v !== "" ? Number(v) : td.textContent; };
      const rows = [...body.rows].sort((a, b) => { const x = key(a), y = key(b); const r = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)); return asc ? r : -r; });
      asc = !asc;
      for (const r of rows) body.appendChild(r);
    });
  });
}
const filter = document.getElementById("claims-filter");
const family = document.getElementById("claims-family");
const apply = () => {
  const words = (filter.value || "").toLowerCase().split(/\\s+/).filter(Boolean);
  let n = 0;
  for (const tr of document.querySelectorAll("#claims-table tbody tr")) {
    const text = tr.textContent.toLowerCase();
    const show = (!family.value || tr.dataset.family === family.value) && words.every((w) => text.includes(w));
    tr.hidden = !show;
    if (show) n++;
  }
  document.getElementById("claims-count").textContent = n + " shown";
};
if (filter) { filter.addEventListener("input", apply); family.addEventListener("change", apply); }
</script>`;

export function protocolHtml(page: Page): string {
  if (page.protocol.length === 0) return "";
  return `<section id="protocol"><h2>Protocol</h2><dl class="protocol">${page.protocol
    .map((p) => `<dt>${esc(p.term)}</dt><dd>${esc(p.detail)}</dd>`)
    .join("")}</dl></section>`;
}

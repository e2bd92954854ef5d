// The self-contained report page. Order (issue #13): findings first — sentences, headline table,
// guard warnings, the charts the run names as its lead (monitors, confusion matrices side by side),
// the metric frame — then every other figure and table, all claims (sortable, filterable), the
// protocol, and at the end, folded, the config as YAML and the environment.
import type { ReportModel, Section } from "./collect.js";
import { claimsHtml, detailTablesHtml, esc, findingsHtml, protocolHtml, TABLE_SCRIPT } from "./page-html.js";
import { keyNumbers, summaryHtml } from "./summary-html.js";

export { esc } from "./page-html.js";

/** An inline chart as an image with alt text (role="img" + aria-label on the SVG root). */
function chartFigure(title: string, svg: string | undefined, id: string): string {
  const labelled = (svg ?? "").replace(/^<svg /, `<svg role="img" aria-label="${esc(title)}" `);
  return `<figure id="${esc(id)}" class="chart">${labelled}</figure>`;
}

function itemHtml(s: Section, it: Section["items"][number], svgs: Map<string, string>): string {
  const name = `${s.prefix}${it.id}`;
  if (it.type === "chart") return chartFigure(it.title, svgs.get(name), name);
  if (it.type === "image")
    return `<figure id="${esc(name)}"><figcaption>${esc(it.title)}</figcaption><img alt="${esc(it.title)}" src="data:image/png;base64,${it.pngBase64 ?? ""}"></figure>`;
  const head = it.columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const body = it.rows
    .map(
      (r) =>
        `<tr>${r.map((v) => (typeof v === "number" ? `<td class="num">${esc(Number(v.toPrecision(3)))}</td>` : `<td>${esc(v ?? "—")}</td>`)).join("")}</tr>`,
    )
    .join("\n");
  return `<figure id="${esc(name)}" class="table"><figcaption>${esc(it.title)}</figcaption><div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div></figure>`;
}

function envHtml(env: Record<string, unknown>): string {
  const e = env as {
    torch?: Record<string, unknown>;
    git?: { commit: string; dirty: boolean } | null;
    device?: string;
    hostname?: string;
    node?: string;
    argv?: string[];
  };
  const rows: [string, unknown][] = [
    ["command", (e.argv ?? []).slice(2).join(" ")],
    ["device", e.device],
    ["LibTorch", e.torch?.version],
    ["BLAS", e.torch?.blas],
    ["threads", e.torch?.threads],
    ["git", e.git ? `${e.git.commit.slice(0, 12)}${e.git.dirty ? " (uncommitted changes)" : ""}` : "—"],
    ["host", e.hostname],
    ["node", e.node],
  ];
  return `<details><summary>Environment</summary><table><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v ?? "—")}</td></tr>`).join("")}</tbody></table></details>`;
}

function runsTable(children: Section[]): string {
  const cols = [...new Set(children.flatMap((c) => keyNumbers(c.summary).map(([k]) => k)))];
  const rows = children.map((c) => {
    const nums = new Map(keyNumbers(c.summary));
    return `<tr><td><a href="#${esc(c.prefix)}">${esc(c.entry.name)}</a></td><td>${esc(c.entry.state)}</td>${cols.map((k) => (nums.has(k) ? `<td class="num">${esc(Number(nums.get(k)!.toPrecision(3)))}</td>` : "<td>—</td>")).join("")}</tr>`;
  });
  return `<h2>Runs in this study</h2><div class="scroll"><table><thead><tr><th>run</th><th>state</th>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function sectionHtml(s: Section, svgs: Map<string, string>, top: boolean, children: Section[] = []): string {
  const e = s.entry;
  const parts = [`<section id="${esc(s.prefix || "top")}" class="run">`];
  const title = `${e.kind === "study" ? "Study" : "Run"} ${esc(e.name)} <span class="state ${esc(e.state)}">${esc(e.state)}</span>`;
  parts.push(top ? `<h1>${title}</h1>` : `<h2>${title}</h2>`);
  parts.push(
    `<p class="meta">${esc((e.started ?? "").replace("T", " ").slice(0, 19))}${e.ended ? ` → ${esc(e.ended.replace("T", " ").slice(0, 19))}` : ""}${e.error ? ` · <b>error:</b> ${esc(e.error)}` : ""}</p>`,
  );
  for (const p of s.problems) parts.push(`<p class="problem">⚠ ${esc(p)}</p>`);
  const lead = new Set(s.page?.leadCharts.flat() ?? []);
  const byId = new Map(s.items.map((it) => [it.id, it]));
  if (s.page) {
    parts.push(
      findingsHtml(s.page, (id) => {
        const it = byId.get(id);
        return it ? itemHtml(s, it, svgs) : undefined;
      }),
    );
  } else if (s.summary && Object.keys(s.summary).length) {
    parts.push('<section id="findings" class="findings"><h2>Results</h2>', summaryHtml(s.summary), "</section>");
  }
  if (children.length) parts.push(runsTable(children));
  const rest = s.items.filter((it) => !lead.has(it.id));
  if (rest.length || (s.page && detailTablesHtml(s.page))) {
    parts.push(top ? "<h2>Figures and tables</h2>" : "<h3>Figures and tables</h3>");
    if (s.page) parts.push(detailTablesHtml(s.page));
    for (const it of rest) parts.push(itemHtml(s, it, svgs));
  }
  if (s.page) parts.push(claimsHtml(s.page.claims), protocolHtml(s.page));
  if (s.config !== undefined)
    parts.push(`<details class="config"><summary>Config (YAML)</summary><pre>${esc(s.config)}</pre></details>`);
  if (s.env) parts.push(envHtml(s.env));
  parts.push("</section>");
  return parts.join("\n");
}

const STYLE = `
*{box-sizing:border-box}
body{font-family:DejaVu Sans,Liberation Sans,Arial,sans-serif;margin:12px auto;max-width:1200px;color:#222;padding:0 16px;font-size:14px;line-height:1.35}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:3px;margin:22px 0 8px}h3{font-size:15px}
.findings h2{margin-top:6px}
.findings-list{margin:4px 0 8px;padding-left:20px}.findings-list li{margin:2px 0}
figure{display:inline-block;margin:6px 14px 10px 0;vertical-align:top;max-width:100%}figure svg,figure img{max-width:100%;height:auto}
figure.table{display:block}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}.row figure{flex:1 1 360px;margin:0;min-width:0}
figcaption{font-weight:bold;margin-bottom:4px}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:13px;margin:4px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f4f4f4}table.sortable th{cursor:pointer}
.meta{color:#666;font-size:12px;margin:2px 0 6px}.note{color:#555;font-size:12px;margin:2px 0}
.problem{color:#a40;background:#fff4e5;padding:6px}
.warnings{border:1px solid #e0a040;background:#fff8ec;padding:6px 10px;margin:8px 0;font-size:13px}.warnings ul{margin:4px 0;padding-left:18px}
.state{font-size:12px;padding:2px 6px;border-radius:3px;color:white;background:#888;vertical-align:middle}
.state.finished{background:#2a7}.state.crashed{background:#c33}.state.running{background:#27c}
.filters{margin:6px 0;font-size:13px}.filters input{width:260px}
dl.protocol{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;font-size:13px}dl.protocol dt{font-weight:bold}dl.protocol dd{margin:0}
pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}details{margin:8px 0}`;

/** The whole page. `svgs` maps `<prefix><id>` to the chart's SVG text. */
export function reportHtml(model: ReportModel, svgs: Map<string, string>): string {
  const [top, ...children] = model.sections;
  const body = [sectionHtml(top!, svgs, true, children)];
  for (const c of children) body.push(sectionHtml(c, svgs, false));
  const sortable = model.sections.some((s) => s.page?.claims.length);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(model.title)} — facelab report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>
${body.join("\n")}
${sortable ? TABLE_SCRIPT : ""}
</body></html>
`;
}

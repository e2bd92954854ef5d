// The self-contained report page: inline SVG charts, embedded images, summary tables, config, environment.
import type { ReportModel, Section } from "./collect.js";
import { flatten } from "./collect.js";

export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const fmt = (v: unknown): string => {
  if (typeof v === "number")
    return Number.isInteger(v)
      ? String(v)
      : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5
        ? v.toFixed(4)
        : v.toExponential(3);
  return v === null || v === undefined ? "" : String(v);
};

export function table(columns: string[], rows: unknown[][]): string {
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join("");
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((v) => `<td${typeof v === "number" ? ' class="num"' : ""}>${esc(fmt(v))}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function sectionHtml(s: Section, svgs: Map<string, string>, level: number): string {
  const e = s.entry;
  const h = `h${level}`;
  const parts = [
    `<section id="${esc(s.prefix || "top")}">`,
    `<${h}>${esc(e.kind === "study" ? "Study" : "Run")} ${esc(e.name)} <span class="state ${esc(e.state)}">${esc(e.state)}</span></${h}>`,
    `<p class="meta">${esc(e.started ?? "")}${e.ended ? ` → ${esc(e.ended)}` : ""}${e.error ? ` · <b>error:</b> ${esc(e.error)}` : ""}</p>`,
  ];
  for (const p of s.problems) parts.push(`<p class="problem">⚠ ${esc(p)}</p>`);
  if (s.summary && Object.keys(s.summary).length) {
    parts.push(`<h${level + 1}>Summary</h${level + 1}>`, table(["metric", "value"], flatten(s.summary)));
  }
  for (const it of s.items) {
    const name = `${s.prefix}${it.id}`;
    parts.push(`<figure id="${esc(name)}">`);
    if (it.type === "chart") parts.push(svgs.get(name) ?? "");
    else if (it.type === "image")
      parts.push(
        `<figcaption>${esc(it.title)}</figcaption><img alt="${esc(it.title)}" src="data:image/png;base64,${it.pngBase64 ?? ""}">`,
      );
    else parts.push(`<figcaption>${esc(it.title)}</figcaption>${table(it.columns, it.rows)}`);
    parts.push("</figure>");
  }
  if (s.config !== undefined) parts.push(`<details><summary>Config</summary><pre>${esc(s.config)}</pre></details>`);
  if (s.env) {
    const env = s.env as {
      torch?: Record<string, unknown>;
      git?: { commit: string; dirty: boolean } | null;
      device?: string;
      hostname?: string;
      node?: string;
      argv?: string[];
    };
    const rows: [string, unknown][] = [
      ["command", (env.argv ?? []).slice(2).join(" ")],
      ["device", env.device],
      ["LibTorch", env.torch?.version],
      ["BLAS", env.torch?.blas],
      ["threads", env.torch?.threads],
      ["git", env.git ? `${env.git.commit.slice(0, 12)}${env.git.dirty ? " (uncommitted changes)" : ""}` : "—"],
      ["host", env.hostname],
      ["node", env.node],
    ];
    parts.push(`<details><summary>Environment</summary>${table(["", ""], rows)}</details>`);
  }
  parts.push("</section>");
  return parts.join("\n");
}

const STYLE = `
body{font-family:DejaVu Sans,Liberation Sans,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:24px}h2{font-size:20px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:40px}h3{font-size:16px}
figure{display:inline-block;margin:10px 14px 10px 0;vertical-align:top}figure svg,figure img{max-width:100%;height:auto}
figcaption{font-weight:bold;margin-bottom:6px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}.meta{color:#666;font-size:13px}.problem{color:#a40;background:#fff4e5;padding:6px}
.state{font-size:12px;padding:2px 6px;border-radius:3px;color:white;background:#888;vertical-align:middle}
.state.finished{background:#2a7}.state.crashed{background:#c33}.state.running{background:#27c}
pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}details{margin:8px 0}`;

/** The whole page. `svgs` maps `<prefix><id>` to the chart's SVG text. */
export function reportHtml(model: ReportModel, svgs: Map<string, string>): string {
  const [top, ...children] = model.sections;
  const body = [`<h1>${esc(model.title)}</h1>`, `<p class="meta">${esc(model.dir)}</p>`];
  if (model.comparison)
    body.push("<h2>Runs in this study</h2>", table(model.comparison.columns, model.comparison.rows));
  body.push(sectionHtml(top!, svgs, 2));
  for (const c of children) body.push(sectionHtml(c, svgs, 2));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(model.title)} — facelab report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>
${body.join("\n")}
</body></html>
`;
}

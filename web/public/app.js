// facelab dashboard: runs list, live run view (Server-Sent Events), side-by-side comparison.
// Plain browser JavaScript (no build step); charts use the same Vega-Lite specs as the reports.
/* global vega, vegaLite */

const app = document.getElementById("app");
const api = (id) => id.split("/").map(encodeURIComponent).join("/");
const esc = (s) =>
  String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
// Three significant digits (as the reports); very small or large values in exponent form.
const fmt = (v) =>
  typeof v === "number"
    ? Number.isInteger(v)
      ? String(v)
      : Math.abs(v) >= 1e-4 && Math.abs(v) < 1e7
        ? String(Number(v.toPrecision(3)))
        : v.toExponential(2)
    : esc(v);
const badge = (r) =>
  `<span class="state ${r.stale ? "stale" : esc(r.state)}">${r.stale ? "stopped (no process)" : esc(r.state)}</span>`;

let cleanup = () => {};
const selected = new Set();

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

// ---- runs list ----

function runRow(r, child) {
  return `<tr data-id="${esc(r.id)}" class="${child ? "child" : ""}">
    <td><input type="checkbox" data-select="${esc(r.id)}" ${selected.has(r.id) ? "checked" : ""} ${r.kind === "study" ? "disabled" : ""}></td>
    <td class="name"><a href="#/run/${esc(r.id)}">${esc(r.name)}</a></td>
    <td>${esc(r.kind)}</td><td>${badge(r)}</td>
    <td>${esc((r.started ?? "").replace("T", " ").slice(0, 19))}</td>
    <td><a href="/report/${api(r.id)}" target="_blank">report</a></td>
    <td class="error">${esc(r.error ?? "")}</td></tr>`;
}

async function showList() {
  app.innerHTML = `<h1>Runs</h1>
    <div class="toolbar"><button id="compare">Compare selected</button> <span id="count"></span></div>
    <table id="runs"><thead><tr><th></th><th>name</th><th>kind</th><th>state</th><th>started</th><th></th><th>error</th></tr></thead><tbody></tbody></table>`;
  const body = app.querySelector("#runs tbody");
  const refresh = async () => {
    const runs = await getJson("/api/runs");
    body.innerHTML =
      runs.map((r) => runRow(r, false) + r.children.map((c) => runRow(c, true)).join("")).join("") ||
      `<tr><td colspan="7">No runs yet. Train something, or point --runs at a runs directory.</td></tr>`;
    app.querySelector("#count").textContent = `${selected.size} selected`;
  };
  body.addEventListener("change", (e) => {
    const id = e.target.dataset.select;
    if (!id) return;
    e.target.checked ? selected.add(id) : selected.delete(id);
    app.querySelector("#count").textContent = `${selected.size} selected`;
  });
  app.querySelector("#compare").onclick = () => {
    if (selected.size) location.hash = `#/compare/${[...selected].join(",")}`;
  };
  await refresh();
  // Poll the list so new runs and state changes appear without a reload.
  const timer = setInterval(() => refresh().catch(() => {}), 2000);
  return () => clearInterval(timer);
}

// ---- live charts ----

async function liveChart(el, kind) {
  const spec = await getJson(`/api/spec/${kind}`);
  // The chart is an image to assistive technology, named like the report's charts.
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", kind === "loss" ? "Training loss per step (live)" : "Validation accuracy (live)");
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "svg", container: el, hover: true });
  await view.runAsync();
  let n = 0;
  return {
    async add(rows) {
      const ok = rows.filter((r) => Number.isFinite(r.x) && Number.isFinite(r.y));
      if (!ok.length) return;
      n += ok.length;
      await view.change("points", vega.changeset().insert(ok)).runAsync();
      el.dataset.points = String(n);
    },
    finalize: () => view.finalize(),
  };
}

const isLoss = (t) => /loss/i.test(t);
const isAcc = (t) => /acc/i.test(t) && !isLoss(t);

/** Follows one run's metrics over SSE; `series(tag)` names the line. */
function follow(id, charts, series, onStatus, latest, onRecords) {
  const src = new EventSource(`/api/run/${api(id)}/events`);
  src.addEventListener("metrics", (e) => {
    const { records } = JSON.parse(e.data);
    charts.loss.add(
      records.filter((r) => isLoss(r.tag)).map((r) => ({ x: r.step, y: r.value, series: series(r.tag) })),
    );
    charts.accuracy.add(
      records.filter((r) => isAcc(r.tag)).map((r) => ({ x: r.epoch ?? r.step, y: r.value, series: series(r.tag) })),
    );
    for (const r of records) latest?.set(series(r.tag), r);
    latest?.render();
    onRecords?.(records);
  });
  src.addEventListener("status", (e) => onStatus(JSON.parse(e.data)));
  return () => src.close();
}

function latestTable(el) {
  const map = new Map();
  return {
    set: (k, r) => map.set(k, r),
    render() {
      el.innerHTML = `<table id="latest"><thead><tr><th>metric</th><th>step</th><th>epoch</th><th>value</th></tr></thead><tbody>${[
        ...map,
      ]
        .map(
          ([k, r]) =>
            `<tr data-tag="${esc(k)}"><td>${esc(k)}</td><td class="num">${r.step}</td><td class="num">${r.epoch ?? ""}</td><td class="num">${fmt(r.value)}</td></tr>`,
        )
        .join("")}</tbody></table>`;
    },
  };
}

/** "3m 20s" */
function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

/**
 * Epoch x of y, elapsed and ETA, from the records' own timestamps (the time of the latest metric, not
 * the browser's clock): ETA = elapsed / x · (y − x).
 */
function progressTracker(el, info) {
  const started = info.started ? Date.parse(info.started) / 1000 : undefined;
  let epoch = 0;
  let last;
  let state = info.state;
  const render = () => {
    if (info.grid) {
      // A study's progress is its cells.
      const n = (k) => info.grid.cells.filter((c) => c.state === k).length;
      const parts = [`${n("done")} of ${info.grid.cells.length} cells done`];
      if (n("failed")) parts.push(`${n("failed")} failed`);
      if (n("running")) parts.push("1 running");
      parts.push(state);
      el.textContent = parts.join(" · ");
      return;
    }
    if (!info.epochs) {
      el.textContent = "";
      return;
    }
    const parts = [`epoch ${epoch} of ${info.epochs}`];
    if (started !== undefined && last !== undefined) {
      const elapsed = last - started;
      parts.push(`elapsed ${duration(elapsed)}`);
      if (state === "running" && epoch > 0 && epoch < info.epochs)
        parts.push(`ETA ${duration((elapsed / epoch) * (info.epochs - epoch))}`);
    }
    if (state !== "running") parts.push(state);
    el.textContent = parts.join(" · ");
  };
  render();
  return {
    add(records) {
      for (const r of records) {
        // Evaluation phases (eval/… tags) count their own fine-tuning epochs; progress follows training.
        if (Number.isFinite(r.epoch) && !r.tag.startsWith("eval/")) epoch = Math.max(epoch, r.epoch);
        if (Number.isFinite(r.time)) last = Math.max(last ?? r.time, r.time);
      }
      render();
    },
    state(s) {
      state = s;
      render();
    },
  };
}

/** A study's grid: one row per training split, one column per loss and seed, each cell with its state. */
function gridHtml(grid) {
  if (!grid || !grid.cells.length) return "";
  const rows = [...new Set(grid.cells.map((c) => c.row))];
  const cols = [...new Set(grid.cells.map((c) => c.col))];
  const at = new Map(grid.cells.map((c) => [`${c.row}\u0000${c.col}`, c]));
  const counts = {};
  for (const c of grid.cells) counts[c.state] = (counts[c.state] ?? 0) + 1;
  return `<h2>Cells</h2><p class="meta">${Object.entries(counts)
    .map(([k, n]) => `${n} ${esc(k)}`)
    .join(" · ")}</p><table id="grid" class="grid"><thead><tr><th>${esc(grid.rowTitle)}</th>${cols
    .map((c) => `<th>${esc(c)}</th>`)
    .join("")}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r)}</th>${cols
          .map((c) => {
            const cell = at.get(`${r}\u0000${c}`);
            return cell
              ? `<td class="cell ${esc(cell.state)}" data-cell="${esc(cell.id)}" title="${esc(cell.detail ?? cell.state)}">${esc(cell.state)}</td>`
              : "<td></td>";
          })
          .join("")}</tr>`,
    )
    .join("")}</tbody></table>`;
}

async function showRun(id) {
  const info = await getJson(`/api/run/${api(id)}`);
  app.innerHTML = `<h1>${esc(info.kind === "study" ? "Study" : "Run")} ${esc(info.name)} <span id="state">${badge(info)}</span></h1>
    <p class="progress" id="progress"></p>
    <div class="toolbar"><a href="/report/${api(id)}" target="_blank">Open report</a> · <a href="#/">all runs</a></div>
    <div class="error" id="error">${esc(info.error ?? "")}</div>
    <div id="summary" class="findings-box">${info.findings ?? "<p>No results yet.</p>"}</div>
    <div id="grid-box">${gridHtml(info.grid)}</div>
    <div class="charts" ${info.grid ? "hidden" : ""}><div class="chart" id="chart-loss"></div><div class="chart" id="chart-accuracy"></div></div>
    <div class="side" ${info.grid ? "hidden" : ""}><div><h2>Latest values</h2><div id="latest-box"></div></div></div>
    ${info.children.length ? `<h2>Runs in this study</h2><ul>${info.children.map((c) => `<li><a href="#/run/${esc(c.id)}">${esc(c.name)}</a> ${badge(c)}</li>`).join("")}</ul>` : ""}
    <details><summary>Config (YAML)</summary><pre>${esc(info.config ?? "")}</pre></details>`;
  const progress = progressTracker(app.querySelector("#progress"), info);
  const charts = {
    loss: await liveChart(app.querySelector("#chart-loss"), "loss"),
    accuracy: await liveChart(app.querySelector("#chart-accuracy"), "accuracy"),
  };
  const latest = latestTable(app.querySelector("#latest-box"));
  let state = info.state;
  const stop = follow(
    id,
    charts,
    (t) => t,
    async (s) => {
      app.querySelector("#state").innerHTML = badge(s);
      app.querySelector("#error").textContent = s.error ?? "";
      progress.state(s.state);
      if (s.state !== state) {
        state = s.state;
        const fresh = await getJson(`/api/run/${api(id)}`);
        app.querySelector("#summary").innerHTML = fresh.findings ?? "<p>No results yet.</p>";
        app.querySelector("#grid-box").innerHTML = gridHtml(fresh.grid);
        info.grid = fresh.grid;
        progress.state(s.state);
      }
    },
    latest,
    (records) => progress.add(records),
  );
  return () => {
    stop();
    charts.loss.finalize();
    charts.accuracy.finalize();
  };
}

async function showCompare(ids) {
  const infos = await Promise.all(ids.map((id) => getJson(`/api/run/${api(id)}`)));
  app.innerHTML = `<h1>Compare ${infos.length} runs</h1><div class="toolbar"><a href="#/">all runs</a></div>
    <div id="summaries" class="side-by-side">${infos
      .map(
        (i) =>
          `<div class="column" data-run="${esc(i.id)}"><h3>${esc(i.name)} ${badge(i)}</h3>${i.findings ?? "<p>No results yet.</p>"}</div>`,
      )
      .join("")}</div>
    <h2>Curves overlaid</h2>
    <div class="charts"><div class="chart" id="chart-loss"></div><div class="chart" id="chart-accuracy"></div></div>`;
  const charts = {
    loss: await liveChart(app.querySelector("#chart-loss"), "loss"),
    accuracy: await liveChart(app.querySelector("#chart-accuracy"), "accuracy"),
  };
  // Overlayed curves: one line per run and tag.
  const stops = infos.map((info) =>
    follow(
      info.id,
      charts,
      (t) => `${info.name}: ${t}`,
      () => {},
    ),
  );
  return () => {
    for (const s of stops) s();
    charts.loss.finalize();
    charts.accuracy.finalize();
  };
}

async function route() {
  cleanup();
  cleanup = () => {};
  const hash = decodeURIComponent(location.hash.slice(1) || "/");
  try {
    if (hash.startsWith("/run/")) cleanup = await showRun(hash.slice(5));
    else if (hash.startsWith("/compare/")) cleanup = await showCompare(hash.slice(9).split(",").filter(Boolean));
    else cleanup = await showList();
  } catch (e) {
    app.innerHTML = `<p class="error">${esc(e.message)}</p><p><a href="#/">all runs</a></p>`;
  }
}

window.addEventListener("hashchange", route);
route();

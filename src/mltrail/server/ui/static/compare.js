// Compare runs: parallel coordinates, scatter, contour, overlaid histories, diff table.
import { el, getJSON, formatValue, loadPlotly, plotLayout, plotConfig } from "./common.js";
import { newPlot } from "./plot.js";
import { chartOptions, drawHistory } from "./charts.js";
import { asNumber, dimension, isLogScaled, parcoords } from "./analysis.js";

const app = document.getElementById("compare-app");
const $ = (id) => document.getElementById(id);
const url = new URLSearchParams(location.search);
let runs = [];

function fill(select, options, wanted) {
  select.replaceChildren(...options.map((o) => el("option", { value: o, text: o.replace(/^(params|metrics)\./, "") })));
  if (wanted && options.includes(wanted)) select.value = wanted;
}

const value = (run, column) => column.startsWith("params.") ? run.params[column.slice(7)] : run.metrics[column.slice(8)];

function columnsOf() {
  const params = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort().map((k) => `params.${k}`);
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort().map((k) => `metrics.${k}`);
  return { params, metrics };
}

function varying(columns) {
  return columns.filter((c) => new Set(runs.map((r) => JSON.stringify(value(r, c) ?? null))).size > 1);
}

function drawParcoords() {
  const { params, metrics } = columnsOf();
  const cols = [...varying(params), ...varying(metrics)].filter((c) => runs.every((r) => value(r, c) !== undefined));
  const colour = $("pc-color").value;
  const colours = colour ? runs.map((r) => asNumber(value(r, colour))) : null;
  if (!cols.length) { $("parcoords").textContent = "No parameter or metric differs between these runs."; return; }
  newPlot($("parcoords"), parcoords(cols.map((c) => dimension(c.replace(/^(params|metrics)\./, ""), runs.map((r) => value(r, c)))), colours,
    colour.replace(/^metrics\./, ""), runs.map((r) => r.run_name)), {});
}

function drawScatter() {
  const x = $("sc-x").value, y = $("sc-y").value;
  const xs = runs.map((r) => value(r, x)), ys = runs.map((r) => asNumber(value(r, y)));
  newPlot($("scatter"), [{ type: "scatter", mode: "markers", x: xs.map((v) => asNumber(v) ?? v), y: ys, text: runs.map((r) => r.run_name),
    xlabel: x.replace(/^(params|metrics)\./, ""), ylabel: y.replace(/^metrics\./, ""), marker: { size: 9 } }],
  { xaxis: { title: x, type: isLogScaled(xs) ? "log" : "-" }, yaxis: { title: y } });
}

// the contour is plotly.js's, loaded after the SVG charts are drawn (see common.loadPlotly)
async function drawContour() {
  const x = $("ct-x").value, y = $("ct-y").value, z = $("ct-z").value;
  const pts = runs.map((r) => [asNumber(value(r, x)), asNumber(value(r, y)), asNumber(value(r, z))]).filter((p) => p.every((v) => v !== null));
  if (pts.length < 3) { $("contour").textContent = "A contour needs at least 3 runs with numeric values of both parameters and the metric."; return; }
  $("contour").dataset.drawn = "";
  await loadPlotly();
  const layout = plotLayout({ xaxis: { title: { text: x }, type: isLogScaled(pts.map((p) => p[0])) ? "log" : "-" },
    yaxis: { title: { text: y }, type: isLogScaled(pts.map((p) => p[1])) ? "log" : "-" } });
  window.Plotly.react($("contour"), [
    { type: "contour", x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), z: pts.map((p) => p[2]), colorscale: "Viridis", reversescale: true, contours: { coloring: "heatmap" }, colorbar: { title: { text: z.replace(/^metrics\./, "") } }, connectgaps: true },
    { type: "scatter", mode: "markers", x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), marker: { color: "#fff", size: 6, line: { width: 1, color: "#000" } }, hoverinfo: "skip", showlegend: false },
  ], layout, plotConfig);
  $("contour").dataset.drawn = "1";
}

let histOptions = null;

async function drawHistories() {
  const key = $("hist-key").value;
  if (!key) { $("histories").textContent = "No metrics."; return; }
  const names = Object.fromEntries(runs.map((r) => [r.run_id, r.run_name]));
  await drawHistory($("histories"), runs.slice(0, 100).map((r) => r.run_id), key.slice(8), Object.assign({ names }, histOptions));
}

function drawDiff() {
  const { params, metrics } = columnsOf();
  const only = $("only-diff").checked;
  const chosen = [...params, ...metrics].filter((c) => !only || varying([c]).length);
  const table = $("diff");
  table.replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { text: "" }), ...runs.map((r) => el("th", {}, el("a", { href: `/runs/${r.run_id}`, text: r.run_name }))))),
    el("tbody", {}, ...chosen.map((c) => el("tr", { "data-key": c }, el("th", { text: c }), ...runs.map((r) => el("td", { class: c.startsWith("metrics.") ? "num" : "", text: formatValue(value(r, c)) }))))),
  );
  if (!chosen.length) table.tBodies[0].append(el("tr", {}, el("td", { class: "empty", text: "The runs have the same params and metrics." })));
}

function writeURL() {
  const q = new URLSearchParams(location.search);
  for (const id of ["pc-color", "sc-x", "sc-y", "ct-x", "ct-y", "ct-z", "hist-key"]) q.set(id, $(id).value);
  q.set("only-diff", $("only-diff").checked ? "1" : "0");
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

async function init() {
  const query = app.dataset.parent ? `parent=${app.dataset.parent}` : `runs=${app.dataset.runs}`;
  const data = await getJSON(`/ajax-api/ui/compare?${query}`);
  runs = data.runs;
  $("status-line").textContent = `${runs.length} runs`;
  const { params, metrics } = columnsOf();
  const vp = varying(params).length ? varying(params) : params;
  const firstMetric = metrics.find((m) => m === "metrics.loss") || metrics[0];
  fill($("pc-color"), metrics, url.get("pc-color") || firstMetric);
  fill($("sc-x"), [...params, ...metrics], url.get("sc-x") || vp[0]);
  fill($("sc-y"), metrics, url.get("sc-y") || firstMetric);
  // the contour's axes default to numeric parameters (a categorical one cannot be contoured)
  const numeric = vp.filter((c) => runs.every((r) => value(r, c) === undefined || asNumber(value(r, c)) !== null));
  const axes = numeric.length >= 2 ? numeric : vp;
  fill($("ct-x"), params, url.get("ct-x") || axes[0]);
  fill($("ct-y"), params, url.get("ct-y") || axes[1] || axes[0]);
  fill($("ct-z"), metrics, url.get("ct-z") || firstMetric);
  // the history chart defaults to a metric with more than one step (a sweep's loss is one dot per trial)
  const stepped = metrics.filter((m) => data.stepped.includes(m.slice(8)));
  const firstHistory = stepped.find((m) => m === "metrics.loss") || stepped[0] || firstMetric;
  fill($("hist-key"), metrics, url.get("hist-key") || firstHistory);
  if (url.get("only-diff") === "0") $("only-diff").checked = false;
  const redraw = { "pc-color": drawParcoords, "sc-x": drawScatter, "sc-y": drawScatter, "ct-x": drawContour, "ct-y": drawContour,
    "ct-z": drawContour, "hist-key": drawHistories, "only-diff": drawDiff };
  histOptions = chartOptions((options) => { histOptions = options; drawHistories(); });
  for (const [id, fn] of Object.entries(redraw)) $(id).addEventListener("change", () => { writeURL(); fn(); });
  drawDiff(); drawParcoords(); drawScatter(); await drawHistories();
  writeURL();
  $("status-line").textContent = `${runs.length} runs compared`;
  performance.mark("mltrail:compare-charts");  // (benchmarks/ui_pages.py reads the marks)
  await drawContour();
  performance.mark("mltrail:contour");
}

init().catch((error) => { $("status-line").textContent = `Could not compare: ${error.message}`; });

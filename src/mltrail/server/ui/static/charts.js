// Metric-history charts: server-downsampled series (spikes kept), re-read at full detail on zoom.
import { getJSON } from "./common.js";
import { newPlot } from "./plot.js";

// The chart options (x axis, log y, EMA smoothing) of a page's #x-axis, #log-y and #smoothing inputs,
// read from and written to the page's URL (x=wall&logy=1&smooth=0.6) so a link reproduces the view.
export function chartOptions(onChange) {
  const $ = (id) => document.getElementById(id);
  const url = new URLSearchParams(location.search);
  if (["step", "wall", "relative"].includes(url.get("x"))) $("x-axis").value = url.get("x");
  $("log-y").checked = url.get("logy") === "1";
  if (url.get("smooth")) $("smoothing").value = url.get("smooth");
  const read = () => ({ x: $("x-axis").value, logY: $("log-y").checked, smoothing: parseFloat($("smoothing").value) || 0 });
  for (const id of ["x-axis", "log-y", "smoothing"]) $(id).addEventListener("change", () => {
    const q = new URLSearchParams(location.search), o = read();
    if (o.x === "step") q.delete("x"); else q.set("x", o.x);
    if (o.logY) q.set("logy", "1"); else q.delete("logy");
    if (o.smoothing) q.set("smooth", String(o.smoothing)); else q.delete("smooth");
    history.replaceState(null, "", `${location.pathname}${q.size ? `?${q}` : ""}`);
    onChange(o);
  });
  return read();
}

export function ema(values, alpha) {
  if (!alpha) return values;
  let last = null;
  return values.map((v) => (typeof v !== "number" ? v : (last = last === null ? v : alpha * last + (1 - alpha) * v)));
}

function xValues(series, mode) {
  if (mode === "wall") return series.timestamps.map((t) => new Date(t));
  if (mode === "relative") { const t0 = series.timestamps[0] || 0; return series.timestamps.map((t) => (t - t0) / 1000); }
  return series.steps;
}

async function fetchSeries(runIds, key, range) {
  const q = new URLSearchParams({ runs: runIds.join(","), key, max_points: 2000 });
  if (range) { q.set("min_step", Math.floor(range[0])); q.set("max_step", Math.ceil(range[1])); }
  return (await getJSON(`/ajax-api/ui/metric-history?${q}`)).series;
}

// Draw one chart of `key` for `runIds` into `node`; options: {x, logY, smoothing, names, url}.
// SVG (static/plot.js): a drag on x zooms, and the zoomed step range is read again at full detail.
export async function drawHistory(node, runIds, key, options) {
  // the run page names the first view's URL in its HTML, which the browser preloads
  const series = options.url ? (await getJSON(options.url)).series : await fetchSeries(runIds, key, null);
  const label = (s) => (options.names && options.names[s.run_id]) || s.run_id.slice(0, 8);
  const traces = (list) => list.map((s) => ({
    x: xValues(s, options.x), y: ema(s.values.map((v) => (typeof v === "number" ? v : null)), options.smoothing),
    name: label(s), mode: s.values.length < 60 ? "lines+markers" : "lines", marker: { size: 5 },
    xlabel: options.x === "step" ? "step" : options.x === "wall" ? "time" : "s", ylabel: key,
  }));
  const total = series.reduce((a, s) => a + s.total, 0);
  const shown = series.reduce((a, s) => a + s.steps.length, 0);
  const note = shown < total ? `${shown.toLocaleString()} of ${total.toLocaleString()} points · drag to zoom` : "";
  const xTitle = { step: "step", wall: "wall time", relative: "seconds since start" }[options.x];
  const layout = { title: { text: key }, note, xaxis: { title: xTitle, type: options.x === "wall" ? "date" : "linear", integer: options.x === "step" },
    yaxis: { type: options.logY ? "log" : "linear" }, showlegend: runIds.length > 1 };
  const onZoom = async (range) => {
    if (shown >= total || options.x !== "step") return;  // everything is already drawn
    const detail = await fetchSeries(runIds, key, range);
    const steps = range ? `steps ${Math.ceil(range[0]).toLocaleString()}–${Math.floor(range[1]).toLocaleString()}` : "";
    const read = detail.reduce((a, s) => a + s.steps.length, 0), all = detail.reduce((a, s) => a + s.total, 0);
    node.layout.note = !range ? note : `${steps}: ${read < all ? `${read.toLocaleString()} of ${all.toLocaleString()} points` : "every point"} · double-click: all`;
    await newPlot(node, traces(detail), node.layout, { onZoom });
    node.dataset.detail = range ? detail.reduce((a, s) => a + s.steps.length, 0) : "";
  };
  await newPlot(node, traces(series), layout, { onZoom });
  node.dataset.drawn = "1";
  performance.mark("mltrail:chart");
}

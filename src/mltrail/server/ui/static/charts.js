// Metric-history charts: server-downsampled series (spikes kept), re-read at full detail on zoom.
import { getJSON, plotLayout, plotConfig, whenPlotly } from "./common.js";

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

// Draw one chart of `key` for `runIds` into `node`; options: {x, logY, smoothing, names}.
export async function drawHistory(node, runIds, key, options) {
  const pending = fetchSeries(runIds, key, null);  // fetched while plotly.js may still be loading
  await whenPlotly();
  const series = await pending;
  // SVG for what the server sends for a few runs (a WebGL context costs more to set up than it saves)
  const type = series.reduce((a, s) => a + s.steps.length, 0) > 20000 ? "scattergl" : "scatter";
  const traces = (list) => list.map((s) => ({
    x: xValues(s, options.x), y: ema(s.values.map((v) => (typeof v === "number" ? v : null)), options.smoothing),
    name: (options.names && options.names[s.run_id]) || s.run_id.slice(0, 8), mode: s.values.length < 60 ? "lines+markers" : "lines",
    type, hovertemplate: `%{y:.6g}<extra>${(options.names && options.names[s.run_id]) || ""}</extra>`,
  }));
  const total = series.reduce((a, s) => a + s.total, 0);
  const shown = series.reduce((a, s) => a + s.steps.length, 0);
  const title = shown < total ? `${key}  (${shown} of ${total} points; zoom for detail)` : key;
  const xTitle = { step: "step", wall: "wall time", relative: "seconds since start" }[options.x];
  await window.Plotly.newPlot(node, traces(series), plotLayout({ title: { text: title, font: { size: 13 } },
    xaxis: { title: xTitle }, yaxis: { type: options.logY ? "log" : "linear" }, showlegend: runIds.length > 1 }), plotConfig);
  node.dataset.drawn = "1";
  performance.mark("mltrail:chart");
  if (options.x !== "step") return;
  node.on("plotly_relayout", async (event) => {
    if (shown >= total) return;
    const lo = event["xaxis.range[0]"], hi = event["xaxis.range[1]"];
    const range = lo !== undefined && hi !== undefined ? [lo, hi] : null;
    if (!range && !event["xaxis.autorange"]) return;
    const detail = await fetchSeries(runIds, key, range);
    const fresh = traces(detail);
    window.Plotly.react(node, fresh, Object.assign(node.layout, { xaxis: Object.assign(node.layout.xaxis, range ? { range, autorange: false } : { autorange: true }) }), plotConfig);
  });
}

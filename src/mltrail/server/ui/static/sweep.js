// The sweep page of a hyperopt parent run: loss per trial with best-so-far, importance, parallel coordinates,
// each parameter against the loss, and the trials table with the best trial highlighted.
import { el, getJSON, formatValue } from "./common.js";
import { newPlot } from "./plot.js";
import { asNumber, dimension, isLogScaled, parcoords } from "./analysis.js";

const app = document.getElementById("sweep-app");
const $ = (id) => document.getElementById(id);

async function init() {
  const data = await getJSON(`/ajax-api/ui/sweep/${app.dataset.runId}`);
  const trials = data.trials;
  $("status-line").textContent = `${trials.length} trials`;
  if (!trials.length) { $("status-line").textContent = "This run has no trial (child) runs."; return; }
  const best = data.best;
  if (best) $("best").replaceChildren("Best trial: ", el("a", { href: `/runs/${best.run_id}`, text: best.run_name }),
    ` — loss ${formatValue(best.loss)} (trial ${best.trial})`);
  const losses = trials.map((t) => asNumber(t.loss));
  const names = Object.keys(Object.assign({}, ...trials.map((t) => t.params))).sort();

  const drawn = [];
  drawn.push(newPlot($("loss-chart"), [
    { type: "scatter", mode: "markers", name: "loss", x: trials.map((t) => t.trial), y: losses, text: trials.map((t) => t.run_name), marker: { size: 7 } },
    { type: "scatter", mode: "lines", name: "best so far", x: trials.map((t) => t.trial), y: data.best_so_far, line: { shape: "hv", width: 2 } },
    ...(best ? [{ type: "scatter", mode: "markers", name: "best", x: [best.trial], y: [asNumber(best.loss)], marker: { size: 14, symbol: "star", color: "#e3a008" } }] : []),
  ], { xaxis: { title: "trial" }, yaxis: { title: data.loss_metric } }));

  const ranking = data.importance;
  if (ranking.length) {
    const ordered = [...ranking].reverse();
    drawn.push(newPlot($("importance"), [{ type: "bar", orientation: "h", x: ordered.map((r) => r.importance), y: ordered.map((r) => r.param) }],
      { xaxis: { title: "share of loss variance", range: [0, Math.max(0.05, ...ordered.map((r) => r.importance)) * 1.1] } }));
  } else $("importance").textContent = "Importance needs at least 3 trials with a loss.";

  const complete = trials.filter((t) => asNumber(t.loss) !== null);
  const varied = names.filter((n) => new Set(complete.map((t) => t.params[n])).size > 1);

  const box = $("param-charts");
  for (const name of varied) {
    const node = el("div", { class: "chart", "data-param": name });
    box.append(node);
    const xs = complete.map((t) => asNumber(t.params[name]) ?? t.params[name]);
    drawn.push(newPlot(node, [
      { type: "scatter", mode: "markers", x: xs, y: complete.map((t) => asNumber(t.loss)), text: complete.map((t) => t.run_name), marker: { size: 7 }, name: "trials" },
      ...(best ? [{ type: "scatter", mode: "markers", x: [asNumber(best.params[name]) ?? best.params[name]], y: [asNumber(best.loss)], marker: { size: 14, symbol: "star", color: "#e3a008" }, name: "best" }] : []),
    ], { title: { text: name }, xaxis: { title: name, type: isLogScaled(xs) ? "log" : "-" }, yaxis: { title: data.loss_metric }, showlegend: false }));
  }

  const sorted = [...trials].sort((a, b) => (asNumber(a.loss) ?? Infinity) - (asNumber(b.loss) ?? Infinity));
  $("trials").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { text: "trial" }), el("th", { text: "run" }), el("th", { text: "model" }), el("th", { text: "status" }), el("th", { class: "num", text: data.loss_metric }), ...varied.map((n) => el("th", { text: n })))),
    el("tbody", {}, ...sorted.map((t) => el("tr", { class: t.run_id === best?.run_id ? "selected best-trial" : "" },
      el("td", { text: t.trial }), el("td", {}, el("a", { href: `/runs/${t.run_id}`, text: t.run_name })),
      el("td", {}, ...t.models.map((m) => el("a", { class: "model-link", href: `/runs/${t.run_id}?artifact=${encodeURIComponent(m)}#artifacts`, text: m }))),
      el("td", { text: t.status }),
      el("td", { class: "num", text: formatValue(t.loss) }), ...varied.map((n) => el("td", { text: formatValue(asNumber(t.params[n]) ?? t.params[n]) }))))),
  );
  $("status-line").textContent = `${trials.length} trials · parameters ranked by importance: ${ranking.slice(0, 3).map((r) => r.param).join(", ")}`;
  await Promise.all(drawn);
  app.dataset.firstDrawn = "1";  // the loss, importance and per-parameter charts and the table are up
  performance.mark("mltrail:sweep-charts");  // (User Timing marks: benchmarks/ui_pages.py reads them)
  await newPlot($("parcoords"), parcoords(
    [...varied.map((n) => dimension(n, complete.map((t) => t.params[n]))), { label: data.loss_metric, values: complete.map((t) => asNumber(t.loss)) }],
    complete.map((t) => asNumber(t.loss)), data.loss_metric, complete.map((t) => t.run_name)), {});
  app.dataset.drawn = "1";  // every chart drawn (the UI benchmark and tests wait for it)
  performance.mark("mltrail:sweep-all-charts");
}

init().catch((error) => { $("status-line").textContent = `Could not load the sweep: ${error.message}`; });

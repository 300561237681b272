// Autologged diagnostics drawn from their JSON (confusion matrix, ROC / PR curves, feature importance);
// the PNG beside it is shown when there is no JSON or it cannot be drawn.
import { el, getJSON } from "./common.js";
import { newPlot } from "./plot.js";

const fmt = (v) => (v === null || v === undefined ? "" : Number(v).toFixed(3));

function confusion(d) {
  const n = d.labels.length;
  const max = Math.max(1, ...d.matrix.flat());
  // rows: true label (top to bottom), columns: predicted label; counts written in each cell
  return {
    data: [{ type: "heatmap", z: d.matrix, x: d.labels, y: d.labels, colorscale: "Blues", showscale: true }],
    layout: {
      xaxis: { title: "predicted label", type: "category", side: "bottom" },
      yaxis: { title: "true label", type: "category", autorange: "reversed" },
      annotations: n <= 30 ? d.matrix.flatMap((row, i) => row.map((v, j) => ({
        x: d.labels[j], y: d.labels[i], text: String(v), showarrow: false,
        font: { color: v > max / 2 ? "#ffffff" : "#1d2330", size: 12 } }))) : [],
    },
  };
}

function curves(d, x, y, score, scoreName, diagonal) {
  const data = d.curves.map((c) => ({ type: "scatter", mode: "lines", x: c[x], y: c[y],
    name: `${c.label || "curve"}${c[score] !== null ? ` (${scoreName} ${fmt(c[score])})` : ""}`,
    xlabel: x, ylabel: y }));
  if (diagonal) data.push({ type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], name: "chance",
    line: { dash: "dot", color: "#999" }, hoverinfo: "skip" });
  return { data, layout: { xaxis: { title: x === "fpr" ? "false positive rate" : "recall", range: [0, 1] },
    yaxis: { title: y === "tpr" ? "true positive rate" : "precision", range: [0, 1.02] }, showlegend: true,
    } };
}

function importance(d) {
  const features = [...d.features].reverse(), values = [...d.values].reverse();  // biggest on top
  return { data: [{ type: "bar", orientation: "h", x: values, y: features }],
    layout: { yaxis: { type: "category", automargin: true }, xaxis: { title: "importance" },
      height: Math.max(300, 60 + 18 * features.length) } };
}

function figure(d) {
  if (d.kind === "confusion_matrix") return confusion(d);
  if (d.kind === "roc_curve") return curves(d, "fpr", "tpr", "auc", "AUC", true);
  if (d.kind === "precision_recall_curve") return curves(d, "recall", "precision", "average_precision", "AP", false);
  return importance(d);
}

function png(node, path, rawURL, note) {
  node.replaceChildren(el("h3", { text: node.dataset.title }),
    el("img", { src: rawURL(path), alt: node.dataset.title, class: "diagnostic-png" }),
    ...(note ? [el("p", { class: "hint", text: note })] : []));
  node.dataset.drawn = "png";
}

// Draw every `.diagnostic` node inside `container` (data-json / data-png artifact paths).
export async function drawDiagnostics(container, runId, rawURL) {
  const nodes = [...container.querySelectorAll(".diagnostic")];
  if (!nodes.length) return;
  await Promise.all(nodes.map(async (node) => {
    const { json, png: image, title } = node.dataset;
    if (!json) { png(node, image, rawURL, null); return; }
    try {
      const d = await getJSON(`/ajax-api/ui/diagnostic?run_id=${runId}&path=${encodeURIComponent(json)}`);
      const { data, layout } = figure(d);
      const chart = el("div", { class: "plot" });
      const caption = d.kind === "feature_importance" && d.total > d.features.length
        ? el("p", { class: "hint", text: `Top ${d.features.length} of ${d.total} features.` }) : null;
      node.replaceChildren(chart, ...(caption ? [caption] : []));
      await newPlot(chart, data, Object.assign(layout, { title: { text: title } }));
      node.dataset.drawn = "chart";
    } catch (error) {
      if (image) png(node, image, rawURL, `Shown as an image: ${error.message}`);
      else { node.replaceChildren(el("h3", { text: title }), el("p", { class: "message error", text: error.message })); node.dataset.drawn = "error"; }
    }
  }));
}

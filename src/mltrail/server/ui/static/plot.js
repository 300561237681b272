// The UI's own small SVG charts (no plotly.js on the page's critical path): line and marker traces,
// horizontal bars and heatmaps, with ticks, a legend (click hides a trace), a hover tip, drag-to-zoom on x
// (double-click resets) and dark mode through CSS. The call mirrors plotly's: newPlot(node, traces, layout)
// with the subset of trace and layout fields the UI uses; `node.data` / `node.layout` keep what was drawn.
import { PALETTE, axisType, colorScale, formatNumber, makeScale, svg } from "./plot_axes.js";
import { drawParcoords } from "./plot_parcoords.js";

const drawnNodes = new Set();
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { for (const n of drawnNodes) if (n.isConnected) render(n); else drawnNodes.delete(n); }, 150);
});

const title = (t) => (t && typeof t === "object" ? t.text : t) || "";
const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const colorOf = (trace, i) => (trace.line && trace.line.color) || (typeof (trace.marker || {}).color === "string" && trace.marker.color) || PALETTE[i % PALETTE.length];

export function formatHover(v) {
  if (v instanceof Date) return v.toISOString().replace("T", " ").slice(0, 19);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return v === null || v === undefined ? "" : String(v);
}

// Draw `data` (traces) into `node` with `layout`; resolves when the SVG is in the page.
export function newPlot(node, data, layout = {}, options = {}) {
  node.data = data;
  node.layout = layout;
  node.plotOptions = options;
  render(node);
  drawnNodes.add(node);
  return Promise.resolve(node);
}

export const react = newPlot;

function render(node) {
  const { data, layout } = node;
  if (data.length === 1 && data[0].type === "parcoords") { drawParcoords(node, data[0], layout); return; }
  const width = Math.max(240, node.clientWidth || 480);
  const height = layout.height || Math.max(220, (node.parentElement && node.clientHeight) || 300);
  const visible = data.filter((t) => t.visible !== "legendonly");
  const heat = visible.find((t) => t.type === "heatmap");
  const xs = heat ? heat.x : visible.flatMap((t) => (t.type === "bar" ? [0, ...t.x] : t.x));
  const yAll = heat ? heat.y : visible.flatMap((t) => t.y);
  const xSpec = Object.assign({}, layout.xaxis || {});
  const ySpec = Object.assign({}, layout.yaxis || {}, { reversed: (layout.yaxis || {}).autorange === "reversed" });
  const yType = axisType(ySpec, yAll);
  const longest = yType === "category" ? Math.max(0, ...yAll.map((v) => String(v).length)) : 0;
  const m = Object.assign({ l: 64, r: 18, t: 12, b: 46 }, layout.margin || {});
  m.l = Math.max(m.l, Math.min(230, 30 + longest * 7));
  if (title(layout.title) || layout.note) m.t = Math.max(m.t, 30);
  // a note (e.g. "2,000 of 100,000 points") right of the title, or under it when they would overlap
  const noteBelow = layout.note && 16 + title(layout.title).length * 7.5 + layout.note.length * 6.2 > width - m.r;
  if (noteBelow) m.t += 14;
  if (heat && heat.showscale !== false) m.r = Math.max(m.r, 70);
  const box = { x0: m.l, x1: width - m.r, y0: height - m.b, y1: m.t };
  // the y axis fits what is visible inside a zoomed x range
  const sx = makeScale(Object.assign({ pad: xSpec.range ? 0 : (visible.some((t) => t.type === "bar") ? 0 : 0.02) }, xSpec), xs, box.x0, box.x1);
  let yValues = yAll;
  if (xSpec.range && !heat) {
    const [lo, hi] = [sx.invert(box.x0), sx.invert(box.x1)];
    yValues = visible.flatMap((t) => t.y.filter((_, i) => { const x = +t.x[i]; return x >= lo && x <= hi; }));
  }
  const sy = makeScale(Object.assign({ pad: 0.05 }, ySpec), yValues, box.y0, box.y1);

  const root = svg("svg", { class: "plot-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title(layout.title) || "chart" });
  const clipId = `clip-${Math.random().toString(36).slice(2, 9)}`;
  root.append(svg("defs", {}), svg("rect", { class: "plot-bg", x: box.x0, y: box.y1, width: box.x1 - box.x0, height: box.y0 - box.y1 }));
  root.firstChild.append(Object.assign(svg("clipPath", { id: clipId }), {}));
  root.firstChild.firstChild.append(svg("rect", { x: box.x0, y: box.y1 - 4, width: box.x1 - box.x0, height: box.y0 - box.y1 + 8 }));
  drawAxes(root, box, sx, sy, xSpec, ySpec, heat);
  const plotted = svg("g", { "clip-path": `url(#${clipId})` });
  root.append(plotted);
  const points = [];  // hover candidates: {px, py, trace, i}
  data.forEach((t, i) => {
    if (t.visible === "legendonly") return;
    const color = colorOf(t, i);
    if (t.type === "heatmap") drawHeatmap(plotted, root, t, sx, sy, box, layout, points);
    else if (t.type === "bar") drawBars(plotted, t, sx, sy, color, points);
    else drawScatter(plotted, t, sx, sy, color, points, i);
  });
  if (title(layout.title)) root.append(svg("text", { class: "plot-title", x: box.x0, y: 18 }, title(layout.title)));
  if (layout.note) root.append(svg("text", { class: "plot-note", x: noteBelow ? box.x0 : box.x1, y: noteBelow ? 33 : 18,
    "text-anchor": noteBelow ? "start" : "end" }, layout.note));
  const area = document.createElement("div");
  area.className = "plot-area";
  area.append(root);
  const children = [area];
  const named = data.filter((t) => t.name && t.showlegend !== false);
  if (layout.showlegend === true || (layout.showlegend !== false && named.length > 1)) children.push(legend(node, data));
  node.replaceChildren(...children);
  hover(node, area, root, box, points, sx);
}

function drawAxes(root, box, sx, sy, xSpec, ySpec, heat) {
  const g = svg("g", { class: "axes" });
  for (const t of sx.ticks) {
    if (t.pos === null || t.pos < box.x0 - 1 || t.pos > box.x1 + 1) continue;
    if (sx.type !== "category" && !heat) g.append(svg("line", { class: "gridline", x1: t.pos, x2: t.pos, y1: box.y0, y2: box.y1 }));
    g.append(svg("text", { class: "tick", x: t.pos, y: box.y0 + 16, "text-anchor": "middle" }, t.label));
  }
  for (const t of sy.ticks) {
    if (t.pos === null || t.pos > box.y0 + 1 || t.pos < box.y1 - 1) continue;
    if (sy.type !== "category" && !heat) g.append(svg("line", { class: "gridline", x1: box.x0, x2: box.x1, y1: t.pos, y2: t.pos }));
    g.append(svg("text", { class: "tick", x: box.x0 - 6, y: t.pos + 4, "text-anchor": "end" }, t.label));
  }
  g.append(svg("line", { class: "axisline", x1: box.x0, x2: box.x1, y1: box.y0, y2: box.y0 }));
  g.append(svg("line", { class: "axisline", x1: box.x0, x2: box.x0, y1: box.y0, y2: box.y1 }));
  if (title(xSpec.title)) g.append(svg("text", { class: "axis-title", x: (box.x0 + box.x1) / 2, y: box.y0 + 36, "text-anchor": "middle" }, title(xSpec.title)));
  if (title(ySpec.title)) {
    const x = 14, y = (box.y0 + box.y1) / 2;
    g.append(svg("text", { class: "axis-title", x, y, "text-anchor": "middle", transform: `rotate(-90 ${x} ${y})` }, title(ySpec.title)));
  }
  root.append(g);
}

function drawScatter(g, t, sx, sy, color, points, index) {
  const mode = t.mode || "lines";
  const n = Math.min(t.x.length, t.y.length);
  const px = new Array(n), py = new Array(n);
  for (let i = 0; i < n; i++) { px[i] = sx.px(t.x[i]); py[i] = num(t.y[i]) === null ? null : sy.px(t.y[i]); }
  if (mode.includes("lines")) {
    const hv = t.line && t.line.shape === "hv";
    let d = "", pen = false;
    for (let i = 0; i < n; i++) {
      if (px[i] === null || py[i] === null) { pen = false; continue; }
      const x = px[i].toFixed(1), y = py[i].toFixed(1);
      if (!pen) d += `M${x} ${y}`;
      else d += hv ? `H${x}V${y}` : `L${x} ${y}`;
      pen = true;
    }
    if (d) g.append(svg("path", { class: "trace-line", d, stroke: color, "stroke-width": (t.line && t.line.width) || 1.6,
      "stroke-dasharray": t.line && t.line.dash === "dot" ? "3 3" : null, fill: "none", "data-trace": index }));
  }
  if (mode.includes("markers")) {
    const marker = t.marker || {};
    const size = marker.size || 6;
    const group = svg("g", { class: "trace-markers", fill: color, "data-trace": index });
    for (let i = 0; i < n; i++) {
      if (px[i] === null || py[i] === null) continue;
      group.append(marker.symbol === "star" ? svg("path", { d: star(px[i], py[i], size / 2), class: "star" })
        : svg("circle", { cx: px[i].toFixed(1), cy: py[i].toFixed(1), r: size / 2 }));
    }
    g.append(group);
  }
  if (t.hoverinfo === "skip") return;
  for (let i = 0; i < n; i++) if (px[i] !== null && py[i] !== null) points.push({ px: px[i], py: py[i], trace: t, i, color, line: !mode.includes("markers") });
}

function star(cx, cy, r) {
  const pts = [];
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
    pts.push(`${(cx + rr * Math.cos(a)).toFixed(1)},${(cy + rr * Math.sin(a)).toFixed(1)}`);
  }
  return `M${pts.join("L")}Z`;
}

function drawBars(g, t, sx, sy, color, points) {
  const band = Math.min(sy.band || 12, 40), zero = sx.px(0);
  t.y.forEach((label, i) => {
    const v = num(t.x[i]), y = sy.px(label);
    if (v === null || y === null) return;
    const x = sx.px(v);
    g.append(svg("rect", { class: "bar", x: Math.min(x, zero), y: y - band * 0.35, width: Math.max(1, Math.abs(x - zero)), height: band * 0.7, fill: color }));
    points.push({ px: x, py: y, trace: t, i, color });
  });
}

function drawHeatmap(g, root, t, sx, sy, box, layout, points) {
  const flat = t.z.flat().filter((v) => num(v) !== null);
  const lo = Math.min(...flat), hi = Math.max(...flat);
  const scale = colorScale("Blues");  // light for few, dark for many
  const w = sx.band, h = sy.band;
  t.z.forEach((row, r) => row.forEach((v, c) => {
    const x = sx.px(t.x[c]), y = sy.px(t.y[r]);
    g.append(svg("rect", { class: "cell", x: x - w / 2, y: y - h / 2, width: w, height: h, fill: scale((v - lo) / (hi - lo || 1)) }));
    points.push({ px: x, py: y, trace: t, i: [r, c], color: "#888" });
  }));
  for (const a of layout.annotations || []) {
    const x = sx.px(a.x), y = sy.px(a.y);
    if (x !== null && y !== null) g.append(svg("text", { class: "cell-text", x, y: y + 4, "text-anchor": "middle", fill: (a.font && a.font.color) || null }, a.text));
  }
  if (t.showscale === false) return;
  const bar = svg("g", { class: "colorbar" }), x = box.x1 + 16, steps = 24, hh = (box.y0 - box.y1) / steps;
  for (let k = 0; k < steps; k++) bar.append(svg("rect", { x, y: box.y0 - (k + 1) * hh, width: 12, height: hh + 0.5, fill: scale((k + 0.5) / steps) }));
  bar.append(svg("text", { class: "tick", x: x + 16, y: box.y0, "text-anchor": "start" }, formatNumber(lo)));
  bar.append(svg("text", { class: "tick", x: x + 16, y: box.y1 + 10, "text-anchor": "start" }, formatNumber(hi)));
  root.append(bar);
}

function legend(node, data) {
  const box = document.createElement("div");
  box.className = "plot-legend";
  data.forEach((t, i) => {
    if (!t.name || t.showlegend === false) return;
    const item = document.createElement("button");
    item.type = "button";
    item.className = `legend-item${t.visible === "legendonly" ? " off" : ""}`;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colorOf(t, i);
    item.append(swatch, document.createTextNode(t.name));
    item.title = "click to hide or show";
    item.addEventListener("click", () => { t.visible = t.visible === "legendonly" ? true : "legendonly"; render(node); });
    box.append(item);
  });
  return box;
}

function hover(node, area, root, box, points, sx) {
  const tip = document.createElement("div");
  tip.className = "plot-tip";
  tip.hidden = true;
  area.append(tip);
  const dot = svg("circle", { class: "hover-dot", r: 4, visibility: "hidden" });
  const band = svg("rect", { class: "zoom-band", y: box.y1, height: box.y0 - box.y1, width: 0, visibility: "hidden" });
  root.append(dot, band);
  const inside = (x, y) => x >= box.x0 && x <= box.x1 && y >= box.y1 && y <= box.y0;
  const local = (e) => { const r = root.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  let dragFrom = null;
  const zoomable = node.plotOptions && node.plotOptions.onZoom && sx.invert;
  root.addEventListener("pointermove", (e) => {
    const [x, y] = local(e);
    if (dragFrom !== null) {
      const a = Math.max(box.x0, Math.min(dragFrom, x)), b = Math.min(box.x1, Math.max(dragFrom, x));
      band.setAttribute("x", a); band.setAttribute("width", b - a); band.setAttribute("visibility", "visible");
      return;
    }
    if (!inside(x, y) || !points.length) { tip.hidden = true; dot.setAttribute("visibility", "hidden"); return; }
    let best = null, bestD = Infinity;
    for (const p of points) {
      const d = p.line ? Math.abs(p.px - x) * 4 + Math.abs(p.py - y) : Math.hypot(p.px - x, p.py - y);
      if (d < bestD) { bestD = d; best = p; }
    }
    if (!best || bestD > 400) { tip.hidden = true; return; }
    dot.setAttribute("cx", best.px); dot.setAttribute("cy", best.py); dot.setAttribute("fill", best.color); dot.setAttribute("visibility", "visible");
    tip.replaceChildren(...tipLines(best).map((line) => Object.assign(document.createElement("div"), { textContent: line })));
    tip.hidden = false;
    tip.style.left = `${Math.max(0, Math.min(best.px + 12, box.x1 - 160))}px`;
    tip.style.top = `${Math.max(0, best.py - 40)}px`;
  });
  root.addEventListener("pointerleave", () => { tip.hidden = true; dot.setAttribute("visibility", "hidden"); });
  if (!zoomable) return;
  root.classList.add("zoomable");
  root.addEventListener("pointerdown", (e) => {
    const [x, y] = local(e);
    if (!inside(x, y) || e.button !== 0) return;
    dragFrom = x; root.setPointerCapture(e.pointerId); e.preventDefault();
  });
  root.addEventListener("pointerup", (e) => {
    if (dragFrom === null) return;
    const [x] = local(e);
    const from = dragFrom; dragFrom = null; band.setAttribute("visibility", "hidden");
    if (Math.abs(x - from) < 6) return;
    const lo = sx.invert(Math.max(box.x0, Math.min(from, x))), hi = sx.invert(Math.min(box.x1, Math.max(from, x)));
    const range = sx.type === "log" ? [Math.log10(lo), Math.log10(hi)] : [lo, hi];  // (plotly's units)
    node.layout.xaxis = Object.assign({}, node.layout.xaxis, { range });
    render(node);
    node.plotOptions.onZoom([lo, hi]);
  });
  root.addEventListener("dblclick", () => {
    if (!node.layout.xaxis || !node.layout.xaxis.range) return;
    node.layout.xaxis = Object.assign({}, node.layout.xaxis, { range: undefined });
    render(node);
    node.plotOptions.onZoom(null);
  });
}

function tipLines(p) {
  const t = p.trace;
  if (t.type === "heatmap") { const [r, c] = p.i; return [`${t.y[r]} → ${t.x[c]}`, `count ${t.z[r][c]}`]; }
  if (t.type === "bar") return [`${t.y[p.i]}: ${formatHover(t.x[p.i])}`];
  const lines = [];
  const label = (t.text && t.text[p.i]) || t.name;
  if (label) lines.push(String(label));
  lines.push(`${(t.xlabel || "x")} ${formatHover(t.x[p.i])}`, `${(t.ylabel || "y")} ${formatHover(t.y[p.i])}`);
  return lines;
}

// Parallel coordinates in SVG: one vertical axis per dimension (its tickvals / ticktext when given, e.g. a
// log-scaled or categorical parameter), one line per record coloured by `line.color` on a colour scale, a
// colour bar, hover highlighting, and brushing: drag along an axis to keep only the lines crossing that range
// (click the axis to clear it).
import { colorScale, formatNumber, makeScale, svg } from "./plot_axes.js";

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function drawParcoords(node, trace, layout) {
  const dims = trace.dimensions;
  const width = Math.max(320, node.clientWidth || 800);
  const height = layout.height || Math.max(300, node.clientHeight || 380);
  const line = trace.line || {};
  const colors = Array.isArray(line.color) ? line.color : null;
  const m = { l: 70, r: colors && line.showscale ? 120 : 60, t: 46, b: 24 };
  const x0 = m.l, x1 = width - m.r, step = dims.length > 1 ? (x1 - x0) / (dims.length - 1) : 0;
  // labels wider than the gap between axes go on two alternating rows
  const stagger = dims.some((d) => d.label.length * 6.6 > step - 8);
  if (stagger) m.t += 16;
  const top = m.t, bottom = height - m.b;
  const xs = dims.map((_, i) => (dims.length > 1 ? x0 + i * step : (x0 + x1) / 2));
  const scales = dims.map((d) => makeScale({ type: "linear", pad: 0.02 }, [...d.values, ...(d.tickvals || [])], bottom, top));
  const n = Math.max(0, ...dims.map((d) => d.values.length));
  const cs = colors ? colors.filter((v) => num(v) !== null) : [];
  const cLo = cs.length ? Math.min(...cs) : 0, cHi = cs.length ? Math.max(...cs) : 1;
  const scale = colorScale(line.colorscale || "Viridis", !!line.reversescale);
  const colorAt = (i) => (colors && num(colors[i]) !== null ? scale((colors[i] - cLo) / (cHi - cLo || 1)) : "#8c8c8c");
  const root = svg("svg", { class: "plot-svg parcoords", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "parallel coordinates" });
  const lines = svg("g", { class: "pc-lines" });
  // draw the best (colour-scale end) last, on top of the others
  const rank = (i) => { const c = colors ? num(colors[i]) : null; return c === null ? -Infinity : (line.reversescale ? -c : c); };
  const order = [...Array(n).keys()].sort((a, b) => rank(a) - rank(b) || a - b);
  const paths = new Array(n);
  for (const i of order) {
    let d = "", pen = false;
    dims.forEach((dim, k) => {
      const y = num(dim.values[i]) === null ? null : scales[k].px(dim.values[i]);
      if (y === null) { pen = false; return; }
      d += `${pen ? "L" : "M"}${xs[k].toFixed(1)} ${y.toFixed(1)}`;
      pen = true;
    });
    const path = svg("path", { class: "pc-line", d, stroke: colorAt(i), "data-index": i });
    paths[i] = path;
    lines.append(path);
  }
  root.append(lines);
  const brushes = dims.map(() => null);
  const applyBrushes = () => {
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const ok = brushes.every((b, k) => !b || (num(dims[k].values[i]) !== null && dims[k].values[i] >= b[0] && dims[k].values[i] <= b[1]));
      paths[i].classList.toggle("filtered", !ok);
      kept += ok ? 1 : 0;
    }
    node.dataset.kept = kept;
  };
  dims.forEach((dim, k) => {
    const g = svg("g", { class: "pc-axis", "data-label": dim.label });
    g.append(svg("line", { class: "axisline", x1: xs[k], x2: xs[k], y1: top, y2: bottom }));
    const ticks = dim.tickvals ? dim.tickvals.map((v, j) => ({ pos: scales[k].px(v), label: dim.ticktext ? dim.ticktext[j] : formatNumber(v) }))
      : scales[k].ticks;
    for (const t of ticks) {
      if (t.pos === null || t.pos < top - 1 || t.pos > bottom + 1) continue;
      g.append(svg("line", { class: "axisline", x1: xs[k] - 4, x2: xs[k], y1: t.pos, y2: t.pos }));
      g.append(svg("text", { class: "tick pc-tick", x: xs[k] - 7, y: t.pos + 4, "text-anchor": "end" }, t.label));
    }
    g.append(svg("text", { class: "axis-title", x: xs[k], y: top - 14 - (stagger && k % 2 ? 16 : 0), "text-anchor": "middle" }, dim.label));
    const band = svg("rect", { class: "pc-brush", x: xs[k] - 8, width: 16, y: 0, height: 0, visibility: "hidden" });
    const grip = svg("rect", { class: "pc-grip", x: xs[k] - 12, width: 24, y: top, height: bottom - top });
    g.append(band, grip);
    let from = null;
    const yOf = (e) => { const r = root.getBoundingClientRect(); return Math.max(top, Math.min(bottom, e.clientY - r.top)); };
    grip.addEventListener("pointerdown", (e) => { from = yOf(e); grip.setPointerCapture(e.pointerId); e.preventDefault(); });
    grip.addEventListener("pointermove", (e) => {
      if (from === null) return;
      const y = yOf(e);
      band.setAttribute("y", Math.min(from, y)); band.setAttribute("height", Math.abs(y - from)); band.setAttribute("visibility", "visible");
    });
    grip.addEventListener("pointerup", (e) => {
      if (from === null) return;
      const y = yOf(e), a = from;
      from = null;
      if (Math.abs(y - a) < 4) { brushes[k] = null; band.setAttribute("visibility", "hidden"); }
      else {
        const v1 = scales[k].invert(a), v2 = scales[k].invert(y);
        brushes[k] = [Math.min(v1, v2), Math.max(v1, v2)];
      }
      applyBrushes();
    });
    root.append(g);
  });
  if (colors && line.showscale) {
    const bar = svg("g", { class: "colorbar" }), x = width - m.r + 56, steps = 24, h = (bottom - top) / steps;
    for (let k = 0; k < steps; k++) bar.append(svg("rect", { x, y: bottom - (k + 1) * h, width: 12, height: h + 0.5, fill: scale((k + 0.5) / steps) }));
    bar.append(svg("text", { class: "tick", x: x + 16, y: bottom, "text-anchor": "start" }, formatNumber(cLo)));
    bar.append(svg("text", { class: "tick", x: x + 16, y: top + 10, "text-anchor": "start" }, formatNumber(cHi)));
    const title = (line.colorbar && (line.colorbar.title && line.colorbar.title.text || line.colorbar.title)) || "";
    bar.append(svg("text", { class: "axis-title", x: x + 6, y: top - 14, "text-anchor": "start" }, title));
    root.append(bar);
  }
  const tip = document.createElement("div");
  tip.className = "plot-tip";
  tip.hidden = true;
  lines.addEventListener("pointerover", (e) => {
    const i = e.target.dataset && e.target.dataset.index;
    if (i === undefined) return;
    e.target.classList.add("hot");
    const text = (trace.text && trace.text[i]) || `line ${Number(i) + 1}`;
    tip.textContent = `${text}${colors ? ` · ${formatNumber(colors[i])}` : ""}`;
    tip.hidden = false;
    const r = root.getBoundingClientRect();
    tip.style.left = `${Math.min(e.clientX - r.left + 12, width - 180)}px`;
    tip.style.top = `${e.clientY - r.top - 30}px`;
  });
  lines.addEventListener("pointerout", (e) => { if (e.target.classList) e.target.classList.remove("hot"); tip.hidden = true; });
  const area = document.createElement("div");
  area.className = "plot-area";
  area.append(root, tip);
  node.replaceChildren(area);
  node.dataset.kept = n;
}

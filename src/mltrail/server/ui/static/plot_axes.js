// Axes of the UI's SVG charts: linear, log, date and category scales with readable ticks, and colour scales.

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
const BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];
export const SVG_NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

function hex(c) { return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)); }

function ramp(stops, t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  const a = hex(stops[i]), b = hex(stops[i + 1]);
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
}

// name: "Viridis" | "Blues"; reverse flips it (plotly's reversescale): low values get the last colour.
export function colorScale(name, reverse = false) {
  const stops = name === "Blues" ? BLUES : VIRIDIS;
  return (t) => ramp(stops, reverse ? 1 - t : t);
}

// Ticks at round numbers: about `count` of them between lo and hi.
export function niceTicks(lo, hi, count = 6) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function formatNumber(v) {
  if (!isNum(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e9) return v.toLocaleString("en-US");  // steps: 100,000 rather than 1e5
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace(/\.0e/, "e").replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
  .map((s) => s * 1000);

function timeTicks(lo, hi, count) {
  const step = TIME_STEPS.find((s) => (hi - lo) / s <= count) || Math.ceil((hi - lo) / count / 86400000) * 86400000;
  const offset = new Date(lo).getTimezoneOffset() * 60000;
  const out = [];
  for (let v = Math.ceil((lo - offset) / step) * step + offset; v <= hi; v += step) out.push(v);
  return { ticks: out, step };
}

function timeLabel(ms, step) {
  const d = new Date(ms), p = (n) => String(n).padStart(2, "0");
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (step >= 86400000) return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  if (step >= 60000) return hm;
  return `${hm}:${p(d.getSeconds())}`;
}

// Guess an axis type from values ("-" in plotly): numbers -> linear, Dates -> date, else category.
export function axisType(spec, values) {
  const wanted = spec.type && spec.type !== "-" ? spec.type : null;
  if (wanted) return wanted;
  if (values.length && values.every((v) => v instanceof Date)) return "date";
  if (values.every((v) => v === null || v === undefined || typeof v === "number")) return "linear";
  return "category";
}

// A scale from data values to pixels along [p0, p1]; spec: {type, range, categories, reversed, pad, integer (ticks)}.
export function makeScale(spec, values, p0, p1) {
  const type = axisType(spec, values);
  if (type === "category") {
    const cats = spec.categories || [...new Set(values.filter((v) => v !== null && v !== undefined).map(String))];
    const index = new Map(cats.map((c, i) => [c, i]));
    const n = Math.max(1, cats.length);
    const at = (i) => p0 + (p1 - p0) * (spec.reversed ? n - 1 - i + 0.5 : i + 0.5) / n;
    return { type, categories: cats, band: Math.abs(p1 - p0) / n, px: (v) => (index.has(String(v)) ? at(index.get(String(v))) : null),
      ticks: cats.map((c, i) => ({ pos: at(i), label: c })), invert: null };
  }
  const log = type === "log";
  const conv = (v) => (v instanceof Date ? v.getTime() : v);
  const f = (v) => { const x = conv(v); return log ? (x > 0 ? Math.log10(x) : null) : (isNum(x) ? x : null); };
  let lo, hi;
  if (spec.range) [lo, hi] = spec.range.map((v) => (log ? v : conv(v)));  // plotly: a log axis's range is in log10 units
  else {
    const fs = values.map(f).filter(isNum);
    lo = fs.length ? Math.min(...fs) : 0; hi = fs.length ? Math.max(...fs) : 1;
    if (lo === hi) { lo -= log ? 0.5 : Math.abs(lo) * 0.1 || 1; hi += log ? 0.5 : Math.abs(hi) * 0.1 || 1; }
    const pad = spec.pad === undefined ? 0.04 : spec.pad;
    const span = hi - lo; lo -= span * pad; hi += span * pad;
  }
  const [a, b] = spec.reversed ? [p1, p0] : [p0, p1];
  const px = (v) => { const x = f(v); return x === null ? null : a + (b - a) * (x - lo) / (hi - lo); };
  const invert = (p) => { const x = lo + (hi - lo) * (p - a) / (b - a); return log ? 10 ** x : x; };
  const count = Math.max(2, Math.round(Math.abs(p1 - p0) / 80));
  let ticks;
  if (log) {
    const decades = [];
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) decades.push(e);
    const every = Math.max(1, Math.ceil(decades.length / count));
    ticks = decades.filter((e) => e % every === 0).map((e) => ({ value: 10 ** e, label: formatNumber(10 ** e) }));
    if (ticks.length < 2) ticks = niceTicks(10 ** lo, 10 ** hi, count).filter((v) => v > 0).map((v) => ({ value: v, label: formatNumber(v) }));
  } else if (type === "date") {
    const { ticks: t, step } = timeTicks(lo, hi, count);
    ticks = t.map((v) => ({ value: v, label: timeLabel(v, step) }));
  } else ticks = niceTicks(lo, hi, count).filter((v) => !spec.integer || Number.isInteger(v)).map((v) => ({ value: v, label: formatNumber(v) }));
  return { type, lo, hi, px, invert, ticks: ticks.map((t) => ({ pos: px(t.value), label: t.label })) };
}

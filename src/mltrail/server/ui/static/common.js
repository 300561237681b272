// Shared helpers of the UI's modules; also: "/" focuses the page's filter box.

export async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({ message: `HTTP ${response.status}` }));
  if (!response.ok) throw Object.assign(new Error(body.message || `HTTP ${response.status}`), body);
  return body;
}

// With `mltrail server --auth`, writes carry the session's CSRF token (from its readable cookie).
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)mltrail_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function postJSON(url, payload) {
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() };
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(payload) });
  const body = await response.json().catch(() => ({ message: `HTTP ${response.status}` }));
  if (!response.ok) throw Object.assign(new Error(body.message || `HTTP ${response.status}`), body);
  return body;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+(e|$)/, "$1");
  return String(value);
}

export function formatTime(ms) {
  if (!ms) return "";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return "";
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function showMessage(node, text, ok = true) {
  node.textContent = text;
  node.className = `message ${ok ? "ok" : "error"}`;
}

export function dark() {
  return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
}

export function plotLayout(extra = {}) {
  const fg = dark() ? "#e3e6ea" : "#1d2330";
  const grid = dark() ? "#2c313a" : "#e3e6ec";
  return Object.assign({
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: fg, size: 12 },
    margin: { l: 56, r: 16, t: 36, b: 44 }, xaxis: { gridcolor: grid, zerolinecolor: grid }, yaxis: { gridcolor: grid, zerolinecolor: grid },
    legend: { orientation: "h", y: -0.2 },
  }, extra);
}

export const plotConfig = { displaylogo: false, responsive: true };

let plotly = null;
// plotly.js (from the installed `plotly` wheel) is loaded only by the views that need it (the contour plot),
// after the page's own SVG charts are drawn: evaluating its 3.5 MB bundle costs seconds in a slow browser.
export function loadPlotly() {
  if (!plotly) plotly = new Promise((resolve, reject) => {
    if (window.Plotly) { resolve(window.Plotly); return; }
    const script = document.createElement("script");
    script.src = "/static-ui/plotly.min.js";
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("could not load plotly.js (is the plotly package installed?)"));
    document.head.append(script);
  });
  return plotly;
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  const box = document.getElementById("filter");
  if (box) { event.preventDefault(); box.focus(); box.select(); }
});

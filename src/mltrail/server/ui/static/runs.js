// The runs table: server-side paging, sort on any column, filter with inline errors,
// chosen columns, nested runs, grouping, selection for compare, live refresh. State lives in the URL.
import { el, getJSON, formatValue, formatTime, formatDuration } from "./common.js";

const app = document.getElementById("runs-app");
const $ = (id) => document.getElementById(id);
const FIXED = [["status", "Status"], ["run_name", "Run name"], ["start_time", "Started (UTC)"], ["duration", "Duration"], ["user", "User"], ["source", "Source"]];
const PAGE = 100;
const params = new URLSearchParams(location.search);
const state = {
  experiments: app.dataset.experiments,
  filter: params.get("filter") || "",
  cols: params.has("cols") ? params.get("cols") : null,
  sort: params.get("sort") || "start_time",
  dir: params.get("dir") || "desc",
  view: params.get("view") || "ACTIVE_ONLY",
  nested: params.get("nested") !== "0",
  offset: parseInt(params.get("offset") || "0", 10) || 0,
  group: params.get("group") || "",
  agg: params.get("agg") || "",
  selected: new Set((params.get("sel") || "").split(",").filter(Boolean)),
  live: params.get("live") !== "0",
};
let keys = null, lastMarker = null, rows = [], total = 0, columns = [];

function writeURL() {
  const q = new URLSearchParams({ experiments: state.experiments });
  if (state.filter) q.set("filter", state.filter);
  if (state.cols !== null) q.set("cols", state.cols);
  if (state.sort !== "start_time" || state.dir !== "desc") { q.set("sort", state.sort); q.set("dir", state.dir); }
  if (state.view !== "ACTIVE_ONLY") q.set("view", state.view);
  if (!state.nested) q.set("nested", "0");
  if (state.offset) q.set("offset", state.offset);
  if (state.group) { q.set("group", state.group); if (state.agg) q.set("agg", state.agg); }
  if (state.selected.size) q.set("sel", [...state.selected].join(","));
  if (!state.live) q.set("live", "0");
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

function query(extra = {}) {
  const q = new URLSearchParams({ experiments: state.experiments, sort: state.sort, dir: state.dir, view: state.view,
    nested: state.nested ? "1" : "0", limit: PAGE, offset: state.offset });
  if (state.filter) q.set("filter", state.filter);
  if (state.cols !== null) q.set("cols", state.cols);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

function showFilterError(error) {
  const box = $("filter-error");
  if (!error) { box.hidden = true; $("filter").removeAttribute("aria-invalid"); return; }
  box.hidden = false;
  $("filter").setAttribute("aria-invalid", "true");
  $("filter-error-msg").textContent = error.message;
  if (typeof error.position === "number" && state.filter) {
    $("filter-error-pointer").textContent = `${state.filter}\n${" ".repeat(error.position)}^`;
    $("filter-error-pointer").hidden = false;
    const input = $("filter");
    input.focus();
    input.setSelectionRange(error.position, Math.min(state.filter.length, error.position + 1));
  } else {
    $("filter-error-pointer").hidden = true;
  }
}

function columnLabel(name) {
  const m = name.match(/^(params|metrics|tags)\.(.*?)(?::(min|max))?$/);
  if (!m) return name;
  const kind = { params: "param", metrics: "metric", tags: "tag" }[m[1]];
  return `${m[2]}${m[3] ? ` (${m[3]})` : ""}`;
}

function header() {
  const tr = el("tr", {}, el("th", {}, el("input", { type: "checkbox", id: "select-all", title: "select the page", onchange: (e) => {
    for (const r of rows) e.target.checked ? state.selected.add(r.run_id) : state.selected.delete(r.run_id);
    renderBody(); updateCompare(); writeURL();
  } })), el("th", {}));
  const th = (name, label, kind) => {
    const sorted = state.sort === name;
    return el("th", { class: `sortable ${sorted ? "sorted" : ""} ${sorted && state.dir === "asc" ? "asc" : ""} ${kind || ""}`,
      "data-col": name, title: `sort by ${name}`, onclick: () => {
        if (state.sort === name) state.dir = state.dir === "asc" ? "desc" : "asc";
        else { state.sort = name; state.dir = name.startsWith("metrics.") || name === "run_name" ? "asc" : "desc"; }
        state.offset = 0; load();
      } }, label, kind ? el("span", { class: "hint", text: ` ${kind}` }) : null);
  };
  for (const [name, label] of FIXED) tr.append(th(name, label));
  for (const name of columns) tr.append(th(name, columnLabel(name), name.split(".")[0].replace(/s$/, "")));
  $("runs-table").tHead.replaceChildren(tr);
}

function rowNode(r, child = false) {
  const selected = state.selected.has(r.run_id);
  const tr = el("tr", { class: `${child ? "child" : ""} ${selected ? "selected" : ""}`, "data-run-id": r.run_id });
  tr.append(el("td", {}, el("input", { type: "checkbox", class: "select", checked: selected, onchange: (e) => {
    e.target.checked ? state.selected.add(r.run_id) : state.selected.delete(r.run_id);
    tr.classList.toggle("selected", e.target.checked); updateCompare(); writeURL();
  } })));
  const expand = r.children ? el("button", { class: "expander", type: "button", title: `show ${r.children} child runs`, text: "▸",
    onclick: (e) => toggleChildren(r, tr, e.target) }) : null;
  tr.append(el("td", { class: "expand-cell" }, expand, r.children ? el("span", { class: "hint", text: r.children }) : null));
  tr.append(el("td", {}, el("span", { class: `status status-${r.status.toLowerCase()}`, text: r.status })));
  tr.append(el("td", { class: "name", title: r.run_id }, el("a", { href: `/runs/${r.run_id}`, text: r.run_name || r.run_id })));
  tr.append(el("td", { text: formatTime(r.start_time) }));
  tr.append(el("td", { class: "num", text: r.end_time ? formatDuration(r.end_time - r.start_time) : (r.status === "RUNNING" ? "running" : "") }));
  tr.append(el("td", { text: r.user || "" }));
  tr.append(el("td", { class: "source", title: r.source || "", text: r.source || "" }));
  for (const name of columns) {
    const v = r.values[name];
    tr.append(el("td", { class: name.startsWith("metrics.") ? "num" : "", text: formatValue(v) }));
  }
  return tr;
}

async function toggleChildren(r, tr, button) {
  const open = button.textContent === "▾";
  let next = tr.nextElementSibling;
  while (next && next.classList.contains("child")) { const n = next.nextElementSibling; next.remove(); next = n; }
  if (open) { button.textContent = "▸"; return; }
  button.textContent = "▾";
  const data = await getJSON(`/ajax-api/ui/runs?${query({ parent: r.run_id, offset: 0, limit: 500 })}`);
  let after = tr;
  for (const c of data.rows) { const node = rowNode(c, true); after.after(node); after = node; }
  if (data.total < r.children) {
    const note = el("tr", { class: "child" }, el("td", { colspan: 8 + columns.length, class: "hint", text: `${data.total} of ${r.children} child runs match the filter` }));
    after.after(note);
  }
}

function renderBody() {
  const body = $("runs-table").tBodies[0];
  body.replaceChildren(...rows.map((r) => rowNode(r)));
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 8 + columns.length, class: "empty", text: "No runs match." })));
}

function updateCompare() {
  const button = $("compare");
  button.disabled = state.selected.size < 2;
  button.textContent = `Compare selected (${state.selected.size})`;
}

async function load() {
  writeURL();
  $("status-line").textContent = "Loading…";
  try {
    const data = await getJSON(`/ajax-api/ui/runs?${query()}`);
    showFilterError(null);
    rows = data.rows; total = data.total; columns = data.columns; lastMarker = data.marker;
    if (state.cols === null) state.cols = columns.join(",");
    header(); renderBody();
    performance.mark("mltrail:table");
    const last = state.offset + rows.length;
    // counts stop at a cap on big stores: "10,000+" (paging on stays possible while pages are full)
    const count = `${total.toLocaleString("en-US")}${data.more ? "+" : ""}`;
    $("page-info").textContent = rows.length ? `${(state.offset + 1).toLocaleString("en-US")}–${last.toLocaleString("en-US")} of ${count}` : "";
    $("prev").disabled = state.offset === 0;
    $("next").disabled = data.more ? rows.length < PAGE : last >= total;
    let line = `${count} ${state.nested ? "top-level " : ""}run${total === 1 && !data.more ? "" : "s"}`;
    if (data.matching_children) line += ` · ${data.matching_children.toLocaleString("en-US")} matching child runs are nested under parents that do not match (untick “nest” to list them)`;
    $("status-line").textContent = line;
    updateCompare(); writeURL();
  } catch (error) {
    if (error.error_code === "INVALID_PARAMETER_VALUE" && /filter|column|Unknown|order/i.test(error.message)) showFilterError(error);
    $("status-line").textContent = `Could not load runs: ${error.message}`;
    rows = []; renderBody();
  }
  if (state.group) loadGroups();
}

async function ensureKeys() {
  if (!keys) keys = await getJSON(`/ajax-api/ui/keys?experiments=${state.experiments}`);
  return keys;
}

async function buildChooser() {
  const box = $("column-chooser");
  const k = await ensureKeys();
  const chosen = new Set((state.cols || "").split(",").filter(Boolean));
  const toggle = (name) => (e) => {
    e.target.checked ? chosen.add(name) : chosen.delete(name);
    state.cols = [...chosen].join(","); state.offset = 0; load();
  };
  const section = (title, items) => el("div", {}, el("h3", { text: title }), ...items);
  const search = el("input", { type: "search", placeholder: "find a key", oninput: (e) => {
    const t = e.target.value.toLowerCase();
    for (const label of box.querySelectorAll("label[data-key]")) label.hidden = !label.dataset.key.toLowerCase().includes(t);
  } });
  const item = (name, label, key) => el("label", { "data-key": key }, el("input", { type: "checkbox", checked: chosen.has(name), onchange: toggle(name) }), ` ${label}`);
  box.replaceChildren(
    el("div", { style: "grid-column: 1 / -1" }, search),
    section("Metrics (last · min · max)", k.metrics.map((m) => el("div", {},
      item(`metrics.${m}`, m, m), el("span", { class: "hint" }, item(`metrics.${m}:min`, "min", m), item(`metrics.${m}:max`, "max", m))))),
    section("Parameters", k.params.map((p) => item(`params.${p}`, p, p))),
    section("Tags", k.tags.map((t) => item(`tags.${t}`, t, t))),
  );
  for (const div of box.querySelectorAll("div > div > span.hint")) div.style.display = "flex";
}

async function buildGroupOptions() {
  const k = await ensureKeys();
  const group = $("group"), agg = $("agg");
  for (const p of k.params) group.append(el("option", { value: `params.${p}`, text: `param ${p}` }));
  for (const t of k.tags) group.append(el("option", { value: `tags.${t}`, text: `tag ${t}` }));
  agg.append(el("option", { value: "", text: "(count only)" }));
  for (const m of k.metrics) agg.append(el("option", { value: `metrics.${m}`, text: m }));
  group.value = state.group; agg.value = state.agg;
  $("agg-label").hidden = !state.group;
}

async function loadGroups() {
  const box = $("groups");
  if (!state.group) { box.hidden = true; return; }
  const q = new URLSearchParams({ experiments: state.experiments, group: state.group, view: state.view });
  if (state.agg) q.set("metric", state.agg);
  if (state.filter) q.set("filter", state.filter);
  try {
    const data = await getJSON(`/ajax-api/ui/groups?${q}`);
    const head = el("tr", {}, el("th", { text: columnLabel(state.group) }), el("th", { class: "num", text: "runs" }),
      ...(state.agg ? ["mean", "min", "max"].map((n) => el("th", { class: "num", text: `${n} ${columnLabel(state.agg)}` })) : []));
    const body = data.groups.map((g) => el("tr", {}, el("td", { text: g.value }), el("td", { class: "num", text: g.count }),
      ...(state.agg ? ["mean", "min", "max"].map((n) => el("td", { class: "num", text: formatValue(g[n]) })) : [])));
    box.replaceChildren(el("h2", { text: "Groups" }), el("table", { class: "grid", id: "groups-table" }, el("thead", {}, head), el("tbody", {}, ...body)));
    box.hidden = false;
  } catch (error) {
    box.replaceChildren(el("p", { class: "message error", text: error.message })); box.hidden = false;
  }
}

async function poll() {
  if (!state.live || document.hidden) return;
  try {
    const { marker } = await getJSON(`/ajax-api/ui/changes?experiments=${state.experiments}`);
    const changed = JSON.stringify(marker) !== JSON.stringify(lastMarker);
    if (changed || rows.some((r) => r.status === "RUNNING")) await load();
  } catch (error) { /* the next poll tries again */ }
}

function init() {
  $("filter").value = state.filter;
  $("view").value = state.view;
  $("nested").checked = state.nested;
  $("live").checked = state.live;
  const apply = () => { state.filter = $("filter").value.trim(); state.offset = 0; load(); };
  $("apply").addEventListener("click", apply);
  $("filter").addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
  $("clear").addEventListener("click", () => { $("filter").value = ""; apply(); });
  $("view").addEventListener("change", (e) => { state.view = e.target.value; state.offset = 0; load(); });
  $("nested").addEventListener("change", (e) => { state.nested = e.target.checked; state.offset = 0; load(); });
  $("live").addEventListener("change", (e) => { state.live = e.target.checked; writeURL(); });
  $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); load(); });
  $("next").addEventListener("click", () => { state.offset += PAGE; load(); });
  $("columns-button").addEventListener("click", async (e) => {
    const box = $("column-chooser");
    box.hidden = !box.hidden; e.target.setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden) await buildChooser();
  });
  $("group").addEventListener("change", (e) => { state.group = e.target.value; $("agg-label").hidden = !state.group; writeURL(); loadGroups(); });
  $("agg").addEventListener("change", (e) => { state.agg = e.target.value; writeURL(); loadGroups(); });
  $("compare").addEventListener("click", () => { location.href = `/compare?runs=${[...state.selected].join(",")}`; });
  buildGroupOptions();
  load();
  setInterval(poll, 5000);
}

init();

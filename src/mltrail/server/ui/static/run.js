// The run page: charts per metric, editable tags, artifact tree with safe previews, register model.
import { el, getJSON, postJSON, showMessage } from "./common.js";
import { chartOptions, drawHistory } from "./charts.js";
import { drawDiagnostics } from "./diagnostics.js";

const app = document.getElementById("run-app");
const runId = app.dataset.runId;
const $ = (id) => document.getElementById(id);

async function drawCharts(options) {
  const nodes = [...document.querySelectorAll("#charts .chart")];
  if (!nodes.length) return;
  await Promise.all(nodes.map((node) => drawHistory(node, [runId], node.dataset.key, Object.assign({ url: node.dataset.history }, options)).catch((error) => {
    node.textContent = `Could not draw ${node.dataset.key}: ${error.message}`;
  })));
}

function tagActions() {
  const message = $("tag-message");
  $("tag-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await postJSON("/ajax-api/ui/runs/set-tag", { run_id: runId, key: $("tag-key").value.trim(), value: $("tag-value").value });
      location.reload();
    } catch (error) { showMessage(message, error.message, false); }
  });
  $("tags").addEventListener("click", async (event) => {
    const row = event.target.closest("tr");
    if (!row) return;
    if (event.target.classList.contains("delete-tag")) {
      try { await postJSON("/ajax-api/ui/runs/delete-tag", { run_id: runId, key: row.dataset.key }); row.remove(); showMessage(message, `tag ${row.dataset.key} deleted`); }
      catch (error) { showMessage(message, error.message, false); }
    }
    if (event.target.classList.contains("edit-tag")) {
      $("tag-key").value = row.dataset.key;
      $("tag-value").value = row.children[1].textContent;
      $("tag-value").focus();
    }
  });
}

function sizeText(size) {
  if (size === null || size === undefined) return "";
  if (size < 1024) return `${size} B`;
  if (size < 1048576) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1048576).toFixed(1)} MB`;
}

const rawURL = (path, download = false) => `/runs/${runId}/artifact?path=${encodeURIComponent(path)}${download ? "&download=1" : ""}`;

function registerForm(path) {
  const status = el("span", { class: "message" });
  const name = el("input", { id: "register-name", placeholder: "model name", required: true });
  const form = el("form", { class: "register toolbar", id: "register-form" },
    el("strong", { text: `Register ${path} as a model version` }), name, el("button", { type: "submit", class: "primary", text: "Register" }), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const result = await postJSON("/ajax-api/ui/models/register", { run_id: runId, path, name: name.value.trim() });
      status.replaceChildren("Registered ", el("a", { href: `/models/${encodeURIComponent(result.name)}/versions/${result.version}`, text: `${result.name} v${result.version}` }));
      status.className = "message ok";
    } catch (error) { showMessage(status, error.message, false); }
  });
  return form;
}

async function showPreview(entry) {
  const box = $("artifact-preview");
  for (const node of document.querySelectorAll(".tree .entry.current")) node.classList.remove("current");
  entry.node.classList.add("current");
  const head = el("div", { class: "head" }, el("code", { text: entry.path }));
  if (entry.is_dir) {
    box.replaceChildren(head, entry.is_model ? registerForm(entry.path) : el("p", { class: "empty", text: "A folder." }));
    return;
  }
  head.append(el("a", { href: rawURL(entry.path, true), text: "download" }));
  box.replaceChildren(head, el("p", { class: "hint", text: "Loading…" }));
  try {
    const p = await getJSON(`/ajax-api/ui/artifact-preview?run_id=${runId}&path=${encodeURIComponent(entry.path)}`);
    let body;
    if (p.kind === "image") body = el("img", { src: rawURL(p.path), alt: p.path });
    else if (p.kind === "html") body = el("iframe", { sandbox: "", src: rawURL(p.path), title: p.path, referrerpolicy: "no-referrer" });
    else if (p.kind === "table") body = el("div", { class: "table-wrap" }, el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ...p.header.map((h) => el("th", { text: h })))),
      el("tbody", {}, ...p.rows.map((r) => el("tr", {}, ...r.map((c) => el("td", { text: c })))))),
      p.more_rows ? el("p", { class: "hint", text: "First rows only; download for the rest." }) : null);
    else if (p.kind === "text") body = el("pre", { class: "code", text: p.text + (p.truncated ? "\n… (truncated; download for the rest)" : "") });
    else body = el("p", { class: "empty", text: p.note || `Binary file (${sizeText(p.size)}): no preview; download it.` });
    box.replaceChildren(head, body);
  } catch (error) { box.replaceChildren(head, el("p", { class: "message error", text: error.message })); }
}

async function listFolder(path, container) {
  const data = await getJSON(`/ajax-api/ui/artifacts?run_id=${runId}&path=${encodeURIComponent(path)}`);
  const ul = el("ul");
  for (const entry of data.files) {
    const label = el("span", { class: "entry", "data-path": entry.path, tabindex: 0,
      text: `${entry.is_dir ? (entry.is_model ? "◆ " : "▸ ") : "· "}${entry.name}` });
    entry.node = label;
    const li = el("li", {}, label, entry.is_dir ? null : el("span", { class: "size", text: sizeText(entry.size) }));
    let open = false, child = null;
    label.addEventListener("click", async () => {
      showPreview(entry);
      if (!entry.is_dir) return;
      open = !open;
      if (open) { child = el("div"); li.append(child); await listFolder(entry.path, child); }
      else if (child) { child.remove(); child = null; }
    });
    ul.append(li);
  }
  if (!data.files.length && !path) ul.append(el("li", { class: "empty", text: "No artifacts." }));
  container.replaceChildren(ul);
}

function init() {
  tagActions();
  // ?artifact=<top-level name> (the sweep page's model links) opens that entry of the tree
  const wanted = new URLSearchParams(location.search).get("artifact");
  listFolder("", $("artifact-tree")).then(() => {
    const entry = wanted && [...document.querySelectorAll("#artifact-tree .entry")].find((n) => n.dataset.path === wanted);
    if (entry) entry.click();
  }).catch((error) => { $("artifact-tree").textContent = error.message; });
  if ($("diagnostics")) drawDiagnostics($("diagnostics"), runId, rawURL);
  if ($("x-axis")) drawCharts(chartOptions(drawCharts));
}

init();

// Model and version pages: stage transitions (with archiving), aliases, descriptions.
import { postJSON, showMessage } from "./common.js";

const app = document.getElementById("model-app");
const name = app.dataset.name;
const version = app.dataset.version;
const message = document.getElementById("message");
const $ = (id) => document.getElementById(id);

async function act(url, payload, reload = true, status = message) {
  try { await postJSON(url, payload); if (reload) location.reload(); else showMessage(status, "saved"); }
  catch (error) { showMessage(status || document.body, error.message, false); }
}

$("description-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  act("/ajax-api/ui/models/description", { name, version, description: $("description").value }, false, $("description-message"));
});

$("versions")?.addEventListener("click", (event) => {
  if (!event.target.classList.contains("transition")) return;
  const row = event.target.closest("tr");
  act("/ajax-api/ui/models/transition", { name, version: row.dataset.version,
    stage: row.querySelector(".stage-select").value, archive_existing: row.querySelector(".archive").checked });
});

$("stage-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  act("/ajax-api/ui/models/transition", { name, version, stage: $("stage").value, archive_existing: $("archive").checked });
});

$("alias-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  act("/ajax-api/ui/models/set-alias", { name, alias: $("alias-name").value.trim(), version: $("alias-version").value });
});

$("aliases")?.addEventListener("click", (event) => {
  if (!event.target.classList.contains("delete-alias")) return;
  act("/ajax-api/ui/models/delete-alias", { name, alias: event.target.closest("[data-alias]").dataset.alias });
});

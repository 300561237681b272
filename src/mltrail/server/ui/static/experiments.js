// The experiments list: create, rename, delete, restore.
import { postJSON, showMessage } from "./common.js";

const message = document.getElementById("message");

async function act(url, payload) {
  try { await postJSON(url, payload); location.reload(); }
  catch (error) { showMessage(message, error.message, false); }
}

document.getElementById("create").addEventListener("click", () => {
  const name = document.getElementById("new-name").value.trim();
  if (name) act("/ajax-api/ui/experiments/create", { name });
});

document.getElementById("experiments").addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-id]");
  if (!row) return;
  const id = row.dataset.id;
  if (event.target.classList.contains("rename")) {
    const name = prompt("New name", event.target.dataset.name);
    if (name && name.trim()) act("/ajax-api/ui/experiments/rename", { experiment_id: id, new_name: name.trim() });
  } else if (event.target.classList.contains("delete")) {
    if (confirm("Delete this experiment and its runs? (It can be restored.)")) act("/ajax-api/ui/experiments/delete", { experiment_id: id });
  } else if (event.target.classList.contains("restore")) {
    act("/ajax-api/ui/experiments/restore", { experiment_id: id });
  }
});

// Editable tag tables (experiments, registered models, model versions): set / overwrite / delete.
import { postJSON } from "./common.js";

export function tagEditor(root) {
  const owner = JSON.parse(root.dataset.owner);
  const message = root.querySelector(".tag-message");
  const say = (text, ok) => { message.textContent = text; message.className = `message tag-message ${ok ? "ok" : "error"}`; };
  const key = root.querySelector(".tag-key"), value = root.querySelector(".tag-value");
  root.querySelector(".tag-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await postJSON(root.dataset.setUrl, { ...owner, key: key.value.trim(), value: value.value });
      location.reload();
    } catch (error) { say(error.message, false); }
  });
  root.querySelector(".tag-table").addEventListener("click", async (event) => {
    const row = event.target.closest("tr[data-key]");
    if (!row) return;
    if (event.target.classList.contains("edit-tag")) {
      key.value = row.dataset.key; value.value = row.children[1].textContent; value.focus();
    } else if (event.target.classList.contains("delete-tag")) {
      try {
        await postJSON(root.dataset.deleteUrl, { ...owner, key: row.dataset.key });
        row.remove(); say(`tag ${row.dataset.key} deleted`, true);
      } catch (error) { say(error.message, false); }
    }
  });
}

for (const root of document.querySelectorAll(".tag-editor")) tagEditor(root);

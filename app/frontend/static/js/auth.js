// The API key: asked for when the server answers 401, kept in this browser's localStorage, shown in
// the header (by its last characters) with a way to change or forget it.

import * as api from "./api.js";
import { h, mount } from "./dom.js";

let dialog;
let onChange = () => {};

function keyStatus(container) {
  const key = api.apiKey();
  mount(container, key
    ? [h("span", { class: "muted" }, `API key …${key.slice(-4)}`), " ",
      h("button", { type: "button", class: "link", onclick: () => open() }, "Change"), " ",
      h("button", { type: "button", class: "link", onclick: () => save(null) }, "Forget")]
    : h("button", { type: "button", class: "link", onclick: () => open() }, "API key"));
}

function save(key) {
  api.setApiKey(key);
  refreshStatus();
  onChange();
}

function refreshStatus() {
  keyStatus(document.getElementById("key-status"));
}

export function open(reason = "") {
  const input = dialog.querySelector("input");
  dialog.querySelector(".reason").textContent = reason;
  input.value = "";
  if (!dialog.open) dialog.showModal();
  input.focus();
}

/** Build the dialog; `changed` runs after a key is saved or forgotten (re-render the view). */
export function installAuth(changed) {
  onChange = changed;
  const input = h("input", { type: "password", name: "key", autocomplete: "off", required: true, id: "api-key-input" });
  dialog = h("dialog", { id: "key-dialog", "aria-labelledby": "key-dialog-title" },
    h("form", { method: "dialog", onsubmit: (event) => {
      if (event.submitter?.value === "save" && input.value.trim()) save(input.value.trim());
    } },
    h("h2", { id: "key-dialog-title" }, "API key"),
    h("p", { class: "reason" }),
    h("p", {}, "This server may require an API key. It is kept in this browser only and sent as “Authorization: Bearer …”."),
    h("label", { for: "api-key-input" }, "Key"), input,
    h("div", { class: "actions" },
      h("button", { value: "save", class: "primary" }, "Save key"),
      h("button", { value: "cancel", formnovalidate: true }, "Cancel"))));
  document.body.append(dialog);
  refreshStatus();
  let asked = false; // one prompt per burst of 401s (a page makes several requests at once)
  window.addEventListener(api.AUTH_EVENT, () => {
    if (asked || dialog.open) return;
    asked = true;
    setTimeout(() => { asked = false; }, 1000);
    open(api.apiKey() ? "The server did not accept this key. Enter another one." : "The server asks for an API key.");
  });
}

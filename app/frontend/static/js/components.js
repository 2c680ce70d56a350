// Pieces several views share.

import * as api from "./api.js";
import { h, mount } from "./dom.js";
import { rejectionText } from "./errors.js";
import { plural } from "./format.js";

/** An <img> of an API image, upscaled with crisp pixels (CSS class "pixelated"). */
export function apiImage(path, alt, { className = "pixelated", width, height } = {}) {
  const img = h("img", { alt, class: className, width, height, decoding: "async" });
  api.showImage(img, path);
  return img;
}

/** Inline "Are you sure?" in `slot`: resolves true when confirmed, false when kept. */
export function confirmInline(slot, question, confirmLabel) {
  return new Promise((resolve) => {
    const done = (answer) => {
      mount(slot);
      resolve(answer);
    };
    const yes = h("button", { type: "button", class: "danger", onclick: () => done(true) }, confirmLabel);
    mount(slot, h("div", { class: "confirm", role: "group", "aria-label": "Confirm" },
      h("span", {}, question), " ", yes, " ",
      h("button", { type: "button", onclick: () => done(false) }, "Keep it")));
    yes.focus();
  });
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, status);
}

/** The files an upload skipped, with the reason in words. */
export function rejectedList(rejected) {
  if (!rejected?.length) return null;
  return h("section", { class: "rejected" },
    h("h3", {}, `${plural(rejected.length, "file")} skipped`),
    h("ul", {}, rejected.map((item) => h("li", {}, h("code", {}, item.file), " — ", rejectionText(item.reason)))));
}

/** A button that copies `text` and says so. */
export function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button", class: "small" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy by hand";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

/** A labelled progress bar; update(fraction, text). */
export function progressBar(labelText) {
  const bar = h("progress", { max: 1, value: 0 });
  const text = h("span", { class: "progress-text" }, labelText);
  const wrapper = h("div", { class: "progress" }, bar, text);
  return {
    element: wrapper,
    bar,
    update(fraction, words) {
      if (fraction === null) bar.removeAttribute("value"); // indeterminate
      else bar.value = Math.max(0, Math.min(1, fraction));
      if (words !== undefined) text.textContent = words;
    },
  };
}

// Small DOM helpers. Text from the API is always set as text, never parsed as HTML.

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "textContent", "open", "max"]);

/** h("button", {class: "primary", onclick: f}, "Save") -> <button class="primary">Save</button> */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children (nested arrays, strings, numbers; null and false are skipped). */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace everything in `parent` with `children`. */
export function mount(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A link inside the single page: route is "/jobs/abc" etc. */
export function link(route, ...children) {
  return h("a", { href: `#${route}` }, ...children);
}

/** An alert box for a failure, with what to do next. */
export function alertBox(text, { kind = "error" } = {}) {
  return h("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** <dl> of [label, value] pairs; values null/undefined are left out. */
export function definitionList(pairs) {
  return h("dl", { class: "facts" }, pairs
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

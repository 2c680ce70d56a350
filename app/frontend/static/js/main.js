// The single page: routes to views, the header's navigation and API key.

import { installAuth } from "./auth.js";
import { alertBox, h, link, mount } from "./dom.js";
import { errorText } from "./errors.js";
import { match, parseHash } from "./router.js";
import { renderHome } from "./pages/home.js";
import { renderDataset, renderDatasets } from "./pages/datasets.js";
import { renderTrain } from "./pages/train.js";
import { renderJob, renderJobs } from "./pages/jobs.js";
import { renderModel, renderModels } from "./pages/models.js";
import { renderExplorer } from "./pages/explorer.js";

const ID = "([A-Za-z0-9][A-Za-z0-9_-]*)";
const ROUTES = [
  [/^\/$/, renderHome],
  [/^\/datasets$/, renderDatasets],
  [new RegExp(`^/datasets/${ID}$`), renderDataset],
  [/^\/train$/, renderTrain],
  [/^\/jobs$/, renderJobs],
  [new RegExp(`^/jobs/${ID}$`), renderJob],
  [/^\/models$/, renderModels],
  [new RegExp(`^/models/${ID}$`), renderModel],
  [new RegExp(`^/models/${ID}/explore$`), renderExplorer],
];

let current = new AbortController();
let lastPath = null;

function notFound(view, path) {
  document.title = "Not found · transfergen";
  mount(view, h("h1", {}, "Nothing here"),
    alertBox(`There is no page “${path}”. Go to the start page and pick a step.`), h("p", {}, link("/", "Start page")));
}

function highlightNav(path) {
  for (const a of document.querySelectorAll("header nav a[data-section]")) {
    const active = path === a.dataset.section || path.startsWith(`${a.dataset.section}/`);
    if (active) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** Render the view of the current hash; views write into their own element, so a stale one writes nowhere. */
async function route({ rerender = false } = {}) {
  current.abort(); // stops the previous view's live updates
  current = new AbortController();
  const { signal } = current;
  const { path, query } = parseHash(location.hash);
  const main = document.getElementById("main");
  const view = h("div", { class: "view" }, h("p", { class: "muted" }, "Loading…"));
  mount(main, view);
  highlightNav(path);
  if (lastPath !== null && lastPath !== path && !rerender) main.focus({ preventScroll: false });
  lastPath = path;
  const found = match(ROUTES, path);
  if (!found) return notFound(view, path);
  try {
    await found.render(view, found.params, query, signal);
  } catch (error) {
    if (signal.aborted || error.name === "AbortError") return;
    console.warn(error);
    mount(view, h("h1", {}, "Could not load this page"), alertBox(errorText(error)),
      h("p", {}, h("button", { type: "button", onclick: () => route({ rerender: true }) }, "Try again")));
  }
}

installAuth(() => route({ rerender: true }));
window.addEventListener("hashchange", () => route());
route();

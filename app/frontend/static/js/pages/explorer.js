// The seed explorer: a page of seeds, a large view of one (crisp pixels) with its permalink, download,
// curl line and share link, a truncation slider, and an interpolation GIF between two seeds.

import * as api from "../api.js";
import { apiImage, copyButton } from "../components.js";
import { alertBox, h, link, mount } from "../dom.js";
import { errorText } from "../errors.js";
import { replaceQuery } from "../router.js";

const PAGE_SIZE = 24;
const MAX_SEED = 2 ** 32 - 1;

function intParam(query, name, fallback, max = MAX_SEED) {
  const value = Number(query.get(name));
  return query.has(name) && Number.isInteger(value) && value >= 0 && value <= max ? value : fallback;
}

function psiParam(query) {
  const value = Number(query.get("psi"));
  return query.get("psi") && Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
}

/** The image URL of a seed; psi 1 adds nothing, so it is the same URL (and bytes) as the plain image. */
export function seedImagePath(modelId, seed, psi) {
  const path = `/v1/models/${encodeURIComponent(modelId)}/images/${seed}.png`;
  return psi === 1 ? path : api.url(path, { truncation: psi });
}

export async function renderExplorer(view, [id], query) {
  const model = await api.get(`/v1/models/${encodeURIComponent(id)}`);
  document.title = `Seeds of ${model.id} · transfergen`;
  const state = {
    start: intParam(query, "start", 0, MAX_SEED - PAGE_SIZE + 1),
    psi: psiParam(query),
    seed: query.has("seed") ? intParam(query, "seed", null) : null,
    a: intParam(query, "a", 1),
    b: intParam(query, "b", 2),
  };
  const saveState = () => replaceQuery({ start: state.start || null, psi: state.psi === 1 ? null : state.psi,
    seed: state.seed, a: state.a, b: state.b });

  const grid = h("ul", { class: "seed-grid", id: "seed-grid", "aria-label": "Seeds" });
  const startInput = h("input", { type: "number", id: "explore-start", min: 0, max: MAX_SEED - PAGE_SIZE + 1, value: state.start });
  const pageLabel = h("span", { class: "muted", "aria-live": "polite" });
  const psiInput = h("input", { type: "range", id: "explore-psi", min: 0, max: 1, step: 0.05, value: state.psi });
  const psiLabel = h("output", { for: "explore-psi", id: "explore-psi-value" });
  const large = h("section", { class: "panel seed-view", id: "seed-view", hidden: true, tabindex: -1 });

  const fillGrid = () => {
    pageLabel.textContent = `Seeds ${state.start.toLocaleString("en")} to ${(state.start + PAGE_SIZE - 1).toLocaleString("en")}`;
    startInput.value = state.start;
    mount(grid, Array.from({ length: PAGE_SIZE }, (_, i) => state.start + i).map((seed) =>
      h("li", {}, h("button", { type: "button", class: "seed", dataset: { seed }, "aria-label": `Seed ${seed}`,
        "aria-pressed": String(seed === state.seed), onclick: () => select(seed) },
      apiImage(seedImagePath(model.id, seed, state.psi), "", { className: "pixelated", width: 96, height: 96 }),
      h("span", {}, String(seed))))));
  };
  const showPsi = () => {
    psiLabel.textContent = `ψ ${state.psi.toFixed(2)}${state.psi === 1 ? " (as trained)" : state.psi === 0 ? " (the average image)" : ""}`;
  };
  const goTo = (start) => {
    state.start = Math.max(0, Math.min(MAX_SEED - PAGE_SIZE + 1, start));
    saveState();
    fillGrid();
  };

  const showLarge = () => {
    if (state.seed === null) {
      large.hidden = true;
      return;
    }
    const seed = state.seed;
    const path = seedImagePath(model.id, seed, state.psi);
    const absolute = new URL(path, location.href).href;
    const permalink = new URL(`#/models/${model.id}/explore?${new URLSearchParams({ start: state.start, seed,
      ...(state.psi === 1 ? {} : { psi: state.psi }) })}`, location.href).href;
    // With a key, the line names it by variable: the key itself is never put on the screen.
    const auth = api.apiKey() ? `-H "Authorization: Bearer $TRANSFERGEN_API_KEY" ` : "";
    const curl = `curl ${auth}-o ${model.id}-seed${seed}.png '${absolute}'`;
    const shareBox = h("div", { class: "small", id: "seed-share-box", "aria-live": "polite" });
    const share = async () => {
      try {
        const { token, expires_at: expires } = await api.post(`/v1/models/${encodeURIComponent(model.id)}/share`, {});
        const shared = new URL(path, location.href);
        shared.searchParams.set("token", token);
        mount(shareBox, h("p", {}, "Works without a key (an <img> tag) until ", expires.slice(0, 10), ": ",
          h("a", { href: shared.href, id: "seed-share-url" }, shared.href), " ", copyButton(shared.href, "Copy link")));
      } catch (error) {
        mount(shareBox, alertBox(`No share link: ${errorText(error)}`));
      }
    };
    const download = h("a", { class: "button", download: `${model.id}-seed${seed}${state.psi === 1 ? "" : `-psi${state.psi}`}.png`, id: "seed-download" }, "Download PNG");
    api.imageSrc(path).then((src) => { download.href = src; }).catch(() => {});
    mount(large,
      h("h2", { id: "seed-view-title" }, `Seed ${seed}`),
      h("div", { class: "seed-large-row" },
        apiImage(path, `Seed ${seed} of ${model.id}`, { className: "seed-large pixelated" }),
        h("div", { class: "seed-actions" },
          h("p", {}, download, " ", h("a", { href: permalink, id: "seed-permalink", class: "button" }, "Permalink"), " ",
            copyButton(permalink, "Copy permalink")),
          h("p", { class: "small" }, "Image URL: ", h("a", { href: path, id: "seed-image-url" }, path)),
          h("p", { class: "small" }, "With curl:"),
          h("pre", { class: "curl", id: "seed-curl" }, curl), copyButton(curl, "Copy curl line"),
          h("p", {}, h("button", { type: "button", id: "seed-share", onclick: share }, "Make a share link")), shareBox,
          h("p", { class: "actions" },
            h("button", { type: "button", onclick: () => setEnd("a", seed) }, "Interpolate from here (A)"), " ",
            h("button", { type: "button", onclick: () => setEnd("b", seed) }, "Interpolate to here (B)")))));
    large.querySelector("img").id = "seed-large";
    large.hidden = false;
  };
  const select = (seed) => {
    state.seed = seed;
    saveState();
    for (const button of grid.querySelectorAll("button.seed")) button.setAttribute("aria-pressed", String(Number(button.dataset.seed) === seed));
    showLarge();
    large.focus();
  };

  // Interpolation between two seeds, as an animated GIF (fetched here so a refusal shows its message).
  const aInput = h("input", { type: "number", id: "interp-a", min: 0, max: MAX_SEED, value: state.a });
  const bInput = h("input", { type: "number", id: "interp-b", min: 0, max: MAX_SEED, value: state.b });
  const framesInput = h("input", { type: "number", id: "interp-steps", min: 2, value: 12 });
  const gifBox = h("div", { class: "gif-box", "aria-live": "polite" });
  const setEnd = (which, seed) => {
    state[which] = seed;
    (which === "a" ? aInput : bInput).value = seed;
    saveState();
    (which === "a" ? aInput : bInput).focus();
  };
  const makeGif = async (event) => {
    event.preventDefault();
    state.a = Number(aInput.value);
    state.b = Number(bInput.value);
    saveState();
    const path = api.url(`/v1/models/${encodeURIComponent(model.id)}/interpolate.gif`, {
      from: aInput.value, to: bInput.value, steps: framesInput.value, truncation: state.psi === 1 ? null : state.psi });
    mount(gifBox, h("p", { class: "muted" }, "Rendering…"));
    try {
      const blob = await (await api.send("GET", path)).blob();
      const src = URL.createObjectURL(blob);
      mount(gifBox,
        h("img", { src, id: "interp-gif", class: "seed-large pixelated", alt: `Interpolation from seed ${aInput.value} to ${bInput.value}` }),
        h("p", {}, h("a", { class: "button", href: src, download: `${model.id}-${aInput.value}-to-${bInput.value}.gif` }, "Download GIF"),
          " ", h("a", { href: path }, "GIF URL")));
    } catch (error) {
      mount(gifBox, alertBox(`No interpolation: ${errorText(error)}`));
    }
  };

  startInput.addEventListener("change", () => goTo(Number(startInput.value) || 0));
  psiInput.addEventListener("input", () => {
    state.psi = Number(psiInput.value);
    showPsi();
  });
  psiInput.addEventListener("change", () => {
    saveState();
    fillGrid();
    showLarge();
  });

  showPsi();
  fillGrid();
  mount(view,
    h("p", { class: "crumbs" }, link("/models", "Models"), " / ", link(`/models/${model.id}`, model.id), " / "),
    h("h1", {}, `Seeds of ${model.id}`),
    h("p", { class: "muted" }, `Every seed (0 to ${MAX_SEED.toLocaleString("en")}) is one image; the same seed always gives the same image. Pick one to see it large.`),
    h("div", { class: "controls" },
      h("div", { class: "field" }, h("label", { for: "explore-start" }, "First seed"), startInput),
      h("div", { class: "pager" },
        h("button", { type: "button", id: "explore-prev", onclick: () => goTo(state.start - PAGE_SIZE) }, `← Previous ${PAGE_SIZE}`), " ",
        h("button", { type: "button", id: "explore-next", onclick: () => goTo(state.start + PAGE_SIZE) }, `Next ${PAGE_SIZE} →`), " ",
        h("button", { type: "button", onclick: () => goTo(Math.floor(Math.random() * (MAX_SEED - PAGE_SIZE))) }, "Random page")),
      h("div", { class: "field" }, h("label", { for: "explore-psi" }, "Truncation"), psiInput, psiLabel,
        h("small", {}, "Lower values trade variety for typical, cleaner images."))),
    pageLabel, grid, large,
    h("section", { class: "panel" }, h("h2", {}, "Interpolate between two seeds"),
      h("form", { class: "row", onsubmit: makeGif },
        h("div", { class: "field" }, h("label", { for: "interp-a" }, "From seed (A)"), aInput),
        h("div", { class: "field" }, h("label", { for: "interp-b" }, "To seed (B)"), bInput),
        h("div", { class: "field" }, h("label", { for: "interp-steps" }, "Frames"), framesInput),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "interp-make" }, "Make GIF"))),
      gifBox));
  showLarge();
}

// Models: cards with lineage (base -> fine-tune), metrics and samples; one model's card; delete.

import * as api from "../api.js";
import { apiImage, confirmInline } from "../components.js";
import { alertBox, definitionList, h, link, mount } from "../dom.js";
import { errorText } from "../errors.js";
import { dateTime, duration, number, plural, shortId } from "../format.js";

const modelPath = (id) => `/v1/models/${encodeURIComponent(id)}`;

function kidOf(model) {
  const metrics = model.metrics ?? {};
  for (const key of ["kid", "kid_vs_source", "final_kid", "best"]) {
    if (metrics[key]?.kid_mean !== undefined) return metrics[key].kid_mean;
  }
  return metrics.kid_mean;
}

function lineage(model) {
  if (!model.deletable) return ["shipped base model"];
  const parts = [model.parent_id ? ["fine-tuned from ", link(`/models/${model.parent_id}`, model.parent_id)] : "trained from scratch"];
  if (model.dataset_id) parts.push([" on dataset ", link(`/datasets/${model.dataset_id}`, shortId(model.dataset_id))]);
  if (model.job_id) parts.push([" by job ", link(`/jobs/${model.job_id}`, shortId(model.job_id))]);
  return parts;
}

function actions(model, onDeleted) {
  const slot = h("div");
  const remove = model.deletable ? h("button", { type: "button", class: "danger small", onclick: async () => {
    if (!(await confirmInline(slot, `Delete model ${model.id}? Its weights are removed for good.`, "Delete model"))) return;
    try {
      await api.del(modelPath(model.id));
      onDeleted(model);
    } catch (error) {
      mount(slot, alertBox(`Not deleted: ${errorText(error)}`));
    }
  } }, "Delete") : null;
  return [h("p", { class: "actions" },
    h("a", { class: "button primary small", href: `#/models/${model.id}/explore` }, "Explore seeds"), " ",
    h("a", { class: "button small", href: `#/train?base=${model.id}` }, "Fine-tune it"), " ", remove), slot];
}

function modelCard(model, onDeleted) {
  const kid = kidOf(model);
  return h("li", { class: "card model", dataset: { model: model.id } },
    h("a", { href: `#/models/${model.id}`, class: "card-link" },
      apiImage(`${modelPath(model.id)}/samples.png`, `Samples of ${model.id}`, { className: "thumb pixelated" }),
      h("strong", {}, model.id)),
    h("p", { class: "small" }, lineage(model)),
    h("p", { class: "muted small" }, [
      `${model.family ?? "?"} · ${model.architecture ?? "?"} · ${model.resolution}×${model.resolution}`,
      kid !== undefined ? `KID ${number(kid)}` : null,
      model.created_at ? dateTime(model.created_at) : null,
    ].filter(Boolean).join(" · ")),
    actions(model, onDeleted));
}

export async function renderModels(view) {
  document.title = "Models · transfergen";
  const list = h("ul", { class: "cards", id: "model-list" });
  const fill = (models) => mount(list, models.map((model) => modelCard(model, async () => fill(await api.get("/v1/models")))));
  fill(await api.get("/v1/models"));
  mount(view, h("h1", {}, "Models"),
    h("p", { class: "muted" }, "Shipped base models first, then the models your fine-tunes made, newest first."), list);
}

/** Everything in a card as label/value pairs, nested objects flattened: "kid_vs_source.kid_mean". */
function flatten(object, prefix = "") {
  return Object.entries(object ?? {}).flatMap(([key, value]) => {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) {
      if (value.every((item) => item && typeof item === "object")) return value.flatMap((item, i) => flatten(item, `${name} ${i + 1}`));
      return [[name, value.join(", ")]];
    }
    if (value && typeof value === "object") return flatten(value, name);
    return [[name, typeof value === "number" ? (name.endsWith("wall_seconds") ? duration(value) : number(value, 4)) : String(value)]];
  });
}

export async function renderModel(view, [id]) {
  const [model, models] = await Promise.all([api.get(modelPath(id)), api.get("/v1/models")]);
  document.title = `${model.id} · transfergen`;
  const chain = [];
  for (let parent = model.parent_id; parent && chain.length < 20;) {
    const found = models.find((m) => m.id === parent);
    chain.unshift(parent);
    parent = found?.parent_id;
  }
  const children = models.filter((m) => m.parent_id === model.id);
  mount(view,
    h("p", { class: "crumbs" }, link("/models", "Models"), " / "),
    h("h1", {}, model.id),
    model.card?.description ? h("p", {}, model.card.description) : null,
    h("nav", { class: "lineage", "aria-label": "Lineage" },
      [...chain.map((parent) => [link(`/models/${parent}`, parent), " → "]), h("strong", {}, model.id)],
      children.length ? [" → ", children.map((child, i) => [i ? ", " : "", link(`/models/${child.id}`, child.id)])] : null),
    apiImage(`${modelPath(id)}/samples.png`, `Samples of ${model.id}`, { className: "preview pixelated" }),
    actions(model, () => { location.hash = "#/models"; }),
    h("h2", {}, "Model"),
    definitionList([
      ["Family", model.family], ["Architecture", model.architecture],
      ["Resolution", model.resolution ? `${model.resolution}×${model.resolution}` : null],
      ["Latent size", model.latent_dim], ["Created", model.created_at ? dateTime(model.created_at) : null],
      ["Made by", model.deletable ? lineage(model) : "shipped with the service"],
      ["Fine-tunes of it", children.length ? plural(children.length, "model") : null],
    ]),
    h("h2", {}, "Metrics"),
    Object.keys(model.metrics ?? {}).length ? definitionList(flatten(model.metrics)) : h("p", { class: "muted" }, "None recorded."),
    h("h2", {}, "Card"),
    Object.keys(model.card ?? {}).length ? definitionList(flatten(model.card)) : h("p", { class: "muted" }, "Empty."));
}

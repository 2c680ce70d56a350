// A new fine-tune: a dataset, a base model (with its samples and card), defaults in one click,
// and every training option of the API with the limits of its OpenAPI schema.

import * as api from "../api.js";
import { apiImage } from "../components.js";
import { alertBox, h, link, mount } from "../dom.js";
import { errorText, fieldErrors } from "../errors.js";
import { number, plural } from "../format.js";
import { componentFields, limitsText, openapi, parseValue } from "../schema.js";

const NOT_OPTIONS = new Set(["dataset_id", "base_model_id", "webhook_url", "webhook_progress"]);
// Options the recipe (preset "auto") picks by dataset size and base when the request leaves them out
// (models/presets.py): shown empty, sent only when the user fills them in.
const RECIPE_OPTIONS = new Set(["steps", "learning_rate", "augment", "r1_gamma", "discriminator"]);
const GROUPS = [
  ["Training", ["steps", "batch_size", "learning_rate", "seed"]],
  ["Method and augmentation", ["method", "freeze_d_layers", "augment", "ada_target", "ada_speed_images", "r1_gamma",
    "ema", "ema_half_life_images", "discriminator"]],
  ["Evaluation, previews and checkpoints", ["eval_every", "eval_images", "keep_best", "preview_every", "checkpoint_every"]],
  ["Only when training from scratch", ["family", "architecture", "latent_dim", "base_channels", "d_spectral_norm", "vae_beta"]],
];
const LABELS = {
  steps: "Steps", batch_size: "Batch size", learning_rate: "Learning rate", seed: "Seed", method: "Method",
  freeze_d_layers: "Frozen D blocks (freeze_d)", augment: "Augmentation", ada_target: "ADA target r_t",
  ada_speed_images: "ADA speed (images)", r1_gamma: "R1 γ", ema: "EMA of the generator",
  ema_half_life_images: "EMA half-life (images)", discriminator: "Discriminator", eval_every: "Evaluate KID every",
  eval_images: "Images per evaluation", keep_best: "Keep the best evaluation", preview_every: "Preview every",
  checkpoint_every: "Checkpoint every", family: "Family", architecture: "Architecture", latent_dim: "Latent size",
  base_channels: "Base channels", d_spectral_norm: "Spectral norm in D", vae_beta: "VAE β",
};
const HELP = {
  steps: "Training steps; each looks at one batch.",
  augment: "diffaugment suits small sets; ada adapts its strength; none for large sets.",
  method: "full trains everything; freeze_d keeps the first D blocks of the base fixed.",
  eval_every: "Steps between KID measurements on the validation images; empty: only at the end.",
  preview_every: "Steps between preview grids on the job page.",
  checkpoint_every: "Steps between checkpoints a lost job resumes from.",
  discriminator: "projected reads frozen EfficientNet-Lite0 features (deep transfer; the recipe adds the base's own D); standard is the base's D alone.",
};

function fieldInput(spec) {
  const id = `opt-${spec.name}`;
  const attrs = { id, name: spec.name, "aria-describedby": `${id}-hint ${id}-error` };
  if (spec.type === "boolean") return h("input", { ...attrs, type: "checkbox", checked: Boolean(spec.default) });
  if (spec.type === "enum") {
    const recipe = spec.recipe ? [h("option", { value: "", selected: true }, "recipe")] : [];
    return h("select", attrs, [...recipe, ...spec.enum.map((value) =>
      h("option", { value, selected: !spec.recipe && value === spec.default }, value))]);
  }
  if (spec.type === "integer" || spec.type === "number") {
    return h("input", { ...attrs, type: "number", inputmode: spec.type === "integer" ? "numeric" : "decimal",
      min: spec.min ?? undefined, max: spec.max ?? undefined, step: spec.type === "integer" ? 1 : "any",
      value: spec.recipe ? "" : spec.default ?? "",
      placeholder: spec.recipe ? "recipe" : spec.nullable && spec.default === null ? "none" : undefined });
  }
  return h("input", { ...attrs, type: "text", value: spec.default ?? "" });
}

function field(schemaSpec) {
  const spec = RECIPE_OPTIONS.has(schemaSpec.name) ? { ...schemaSpec, default: undefined, recipe: true } : schemaSpec;
  const input = fieldInput(spec);
  const recipeHint = spec.recipe ? "Empty: the recipe for your dataset's size and base." : null;
  const hint = [HELP[spec.name], recipeHint, limitsText(spec)].filter(Boolean).join(" ");
  const control = spec.type === "boolean"
    ? h("label", { class: "check", for: input.id }, input, " ", LABELS[spec.name] ?? spec.title)
    : [h("label", { for: input.id }, LABELS[spec.name] ?? spec.title), input];
  return {
    spec,
    input,
    error: h("p", { class: "field-error", id: `${input.id}-error`, "aria-live": "polite" }),
    element: null,
    build() {
      this.element = h("div", { class: "field", dataset: { field: spec.name } }, control,
        hint ? h("small", { id: `${input.id}-hint` }, hint) : null, this.error);
      return this.element;
    },
    value() {
      return parseValue(spec, spec.type === "boolean" ? input.checked : input.value);
    },
  };
}

function baseCard(model, dataset, selected) {
  const matches = !dataset || model.resolution === dataset.resolution;
  const kid = model.metrics?.kid_vs_source?.kid_mean ?? model.metrics?.kid?.kid_mean;
  const radio = h("input", { type: "radio", name: "base", value: model.id, id: `base-${model.id}`,
    checked: selected === model.id, disabled: !matches });
  return h("li", { class: `card base${matches ? "" : " unavailable"}` },
    h("label", { for: radio.id, class: "base-label" },
      radio, h("strong", {}, model.id),
      h("span", { class: "muted" }, ` ${model.family ?? ""} · ${model.resolution}×${model.resolution}`
        + `${model.deletable ? " · your model" : " · shipped base"}`)),
    apiImage(`/v1/models/${encodeURIComponent(model.id)}/samples.png`, `Samples of ${model.id}`, { className: "thumb pixelated" }),
    model.card?.description ? h("p", { class: "small" }, model.card.description) : null,
    h("p", { class: "small muted" }, [
      model.card?.steps ? `${plural(model.card.steps, "step")} of training` : null,
      kid !== undefined ? `KID ${number(kid)}` : null,
      model.card?.licence ?? null,
    ].filter(Boolean).join(" · ")),
    matches ? null : h("p", { class: "small" }, `Makes ${model.resolution}×${model.resolution} images: `
      + `upload the dataset again at ${model.resolution}×${model.resolution} to fine-tune it.`),
    h("p", { class: "small" }, link(`/models/${model.id}`, "Card and lineage")));
}

export async function renderTrain(view, _params, query, signal) {
  document.title = "New fine-tune · transfergen";
  const [datasets, models, document_] = await Promise.all([api.get("/v1/datasets"), api.get("/v1/models"), openapi()]);
  if (!datasets.length) {
    mount(view, h("h1", {}, "New fine-tune"),
      alertBox("There is no dataset to train on yet. Upload a zip of images first.", { kind: "info" }),
      h("p", {}, h("a", { class: "button primary", href: "#/datasets" }, "Upload a dataset")));
    return;
  }
  const specs = componentFields(document_, "JobRequest");
  const fields = new Map([...specs.values()].filter((spec) => !NOT_OPTIONS.has(spec.name)).map((spec) => [spec.name, field(spec)]));

  const datasetSelect = h("select", { id: "train-dataset", name: "dataset_id" }, datasets.map((dataset) =>
    h("option", { value: dataset.id, selected: dataset.id === query.get("dataset") },
      `${dataset.name} — ${plural(dataset.num_train, "training image")}, ${dataset.resolution}×${dataset.resolution}`)));
  const bases = h("ul", { class: "cards bases", id: "train-bases" });
  const currentDataset = () => datasets.find((dataset) => dataset.id === datasetSelect.value);
  const selectedBase = () => view.querySelector("input[name=base]:checked")?.value ?? "";
  const fillBases = (wanted) => {
    const dataset = currentDataset();
    const usable = models.filter((model) => model.resolution === dataset.resolution);
    const pick = usable.some((model) => model.id === wanted) ? wanted : usable[0]?.id ?? "";
    const scratch = h("input", { type: "radio", name: "base", value: "", id: "base-scratch", checked: pick === "" });
    const ordered = [...usable, ...models.filter((model) => !usable.includes(model))]; // usable ones first
    mount(bases, ordered.map((model) => baseCard(model, dataset, pick)),
      h("li", { class: "card base" }, h("label", { for: "base-scratch", class: "base-label" }, scratch,
        h("strong", {}, "From scratch"), h("span", { class: "muted" }, " no base model: slower, needs more images"))));
    syncScratchOnly();
  };
  const syncScratchOnly = () => {
    const scratch = selectedBase() === "";
    for (const name of GROUPS[3][1]) {
      const item = fields.get(name);
      if (item?.input) item.input.disabled = !scratch;
    }
    const method = fields.get("method");
    if (method && scratch) method.input.value = "full";
  };
  datasetSelect.addEventListener("change", () => fillBases(selectedBase()));
  bases.addEventListener("change", syncScratchOnly);

  const grouped = new Set(GROUPS.flatMap(([, names]) => names));
  const groups = [...GROUPS, ["Other", [...fields.keys()].filter((name) => !grouped.has(name))]];
  const advanced = h("details", { class: "advanced", id: "train-advanced" }, h("summary", {}, "Advanced options"),
    groups.filter(([, names]) => names.some((name) => fields.has(name))).map(([title, names]) =>
      h("fieldset", {}, h("legend", {}, title), names.filter((name) => fields.has(name)).map((name) => fields.get(name).build()))));

  const message = h("div", { class: "form-message", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary", id: "train-submit" }, "Start fine-tune");
  const form = h("form", { novalidate: true },
    h("section", { class: "panel" }, h("h2", {}, "1. Dataset"),
      h("div", { class: "field" }, h("label", { for: "train-dataset" }, "Train on"), datasetSelect),
      h("p", { class: "small" }, link("/datasets", "Upload another dataset"))),
    h("section", { class: "panel" }, h("h2", {}, "2. Base model"),
      h("p", { class: "muted" }, "Fine-tuning starts from a model that already makes images; pick one whose resolution matches."),
      bases),
    h("section", { class: "panel" }, h("h2", {}, "3. Options"),
      h("p", { class: "muted" }, "The defaults suit 10 to 1,000 images. Start now, or change them below."), advanced,
      message, h("div", { class: "actions" }, submit)));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const item of fields.values()) {
      item.error.textContent = "";
      item.input.removeAttribute("aria-invalid");
    }
    mount(message);
    const body = { dataset_id: datasetSelect.value, base_model_id: selectedBase() || null };
    for (const [name, item] of fields) {
      if (item.input.disabled) continue;
      const value = item.value();
      if (value !== undefined && value !== item.spec.default) body[name] = value;
    }
    submit.disabled = true;
    try {
      const job = await api.post("/v1/jobs", body, { signal });
      location.hash = `#/jobs/${job.id}`;
    } catch (error) {
      if (error.name === "AbortError") return;
      const notes = fieldErrors(error);
      for (const [name, note] of notes) {
        const item = fields.get(name);
        if (!item) continue;
        item.error.textContent = note;
        item.input.setAttribute("aria-invalid", "true");
        advanced.open = true;
      }
      mount(message, alertBox(`Not started: ${errorText(error)}`));
      const firstInvalid = form.querySelector("[aria-invalid=true]");
      (firstInvalid ?? message).focus?.();
    } finally {
      submit.disabled = false;
    }
  });

  mount(view, h("h1", {}, "New fine-tune"), form);
  fillBases(query.get("base"));
}

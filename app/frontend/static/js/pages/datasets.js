// Datasets: upload (drag and drop or file picker, with progress), the list, one dataset, delete.

import * as api from "../api.js";
import { apiImage, confirmInline, progressBar, rejectedList } from "../components.js";
import { alertBox, definitionList, h, link, mount } from "../dom.js";
import { errorText } from "../errors.js";
import { bytes, dateTime, percent, plural } from "../format.js";
import { multipartFields, openapi } from "../schema.js";

const datasetPath = (id) => `/v1/datasets/${encodeURIComponent(id)}`;

function summary(dataset) {
  return `${plural(dataset.num_images, "image")} at ${dataset.resolution}×${dataset.resolution} · `
    + `${dataset.num_train} for training, ${dataset.num_val} held out`;
}

function datasetCard(dataset) {
  return h("li", { class: "card" },
    h("a", { href: `#/datasets/${dataset.id}`, class: "card-link" },
      apiImage(`${datasetPath(dataset.id)}/preview.png`, `Preview of ${dataset.name}`, { className: "thumb pixelated" }),
      h("strong", {}, dataset.name)),
    h("p", { class: "muted" }, summary(dataset)),
    h("p", { class: "muted small" }, `Uploaded ${dateTime(dataset.created_at)}`));
}

/** The upload form; onUploaded(dataset) after a success. */
function uploadForm(fields, onUploaded) {
  let selected = [];
  const input = h("input", { type: "file", id: "upload-files", name: "files", multiple: true,
    accept: ".zip,application/zip,image/png,image/jpeg,image/webp,image/bmp,image/gif" });
  const chosen = h("p", { class: "muted", "aria-live": "polite" }, "Nothing chosen yet.");
  const submit = h("button", { type: "submit", class: "primary", disabled: true }, "Upload");
  const result = h("div", { class: "upload-result", "aria-live": "polite" });
  const progress = progressBar("");
  progress.element.hidden = true;

  const choose = (files) => {
    selected = [...files];
    const total = selected.reduce((sum, file) => sum + file.size, 0);
    const zips = selected.filter(isZip).length;
    chosen.textContent = selected.length
      ? `${selected.length === 1 ? selected[0].name : `${plural(selected.length, "file")} (${zips ? `${zips} zip, ` : ""}${selected.length - zips} images)`}, ${bytes(total)}. Press Upload.`
      : "Nothing chosen yet.";
    submit.disabled = selected.length === 0;
  };
  input.addEventListener("change", () => choose(input.files));

  const zone = h("label", { class: "dropzone", for: "upload-files" },
    h("strong", {}, "Drop a zip or images here"), h("span", {}, "or press to choose files"), input);
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    choose(event.dataTransfer.files);
  });

  const resolution = fields.get("resolution");
  const nameSpec = fields.get("name");
  const name = h("input", { type: "text", id: "upload-name", name: "name", maxlength: nameSpec?.max ?? 200,
    placeholder: "taken from the file name" });
  const size = h("select", { id: "upload-resolution", name: "resolution" },
    (resolution?.enum ?? [16, 32, 64, 128, 256]).map((value) =>
      h("option", { value, selected: value === resolution?.default }, `${value}×${value}`)));

  const form = h("form", { class: "upload", novalidate: true },
    zone, chosen,
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "upload-name" }, "Name"), name),
      h("div", { class: "field" }, h("label", { for: "upload-resolution" }, "Resolution"), size,
        h("small", {}, "Match the base model you will fine-tune (the shipped bases are 64×64)."))),
    h("div", { class: "actions" }, submit), progress.element, result);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!selected.length) return;
    const data = new FormData();
    const single = selected.length === 1;
    for (const file of selected) data.append(single ? "file" : "files", file, file.name);
    if (name.value.trim()) data.append("name", name.value.trim());
    data.append("resolution", size.value);
    submit.disabled = true;
    progress.element.hidden = false;
    progress.update(0, "Uploading…");
    mount(result);
    try {
      const dataset = await api.upload("/v1/datasets", data, (loaded, total) => {
        progress.update(loaded / total, loaded < total
          ? `Uploading ${percent(loaded / total)} (${bytes(loaded)} of ${bytes(total)})`
          : "Uploaded; the server is checking and resizing the images…");
      });
      progress.update(1, "Done");
      mount(result, uploadedSummary(dataset));
      onUploaded(dataset);
    } catch (error) {
      progress.element.hidden = true;
      mount(result, alertBox(`Upload refused: ${errorText(error)}`));
    } finally {
      submit.disabled = selected.length === 0;
    }
  });
  return form;
}

function isZip(file) {
  return file.name.toLowerCase().endsWith(".zip") || file.type === "application/zip";
}

function uploadedSummary(dataset) {
  return h("div", { class: "uploaded" },
    alertBox(`Uploaded “${dataset.name}”: ${summary(dataset)}.`, { kind: "success" }),
    rejectedList(dataset.rejected),
    apiImage(`${datasetPath(dataset.id)}/preview.png`, `Preview of ${dataset.name}`, { className: "preview pixelated" }),
    h("p", { class: "actions" },
      h("a", { class: "button primary", href: `#/train?dataset=${dataset.id}` }, "Fine-tune on it"), " ",
      link(`/datasets/${dataset.id}`, "Open the dataset")));
}

export async function renderDatasets(view) {
  document.title = "Datasets · transfergen";
  const [datasets, document_] = await Promise.all([api.get("/v1/datasets"), openapi()]);
  const list = h("ul", { class: "cards", id: "dataset-list" });
  const heading = h("h2", {}, "Your datasets");
  const fill = (items) => {
    heading.textContent = `Your datasets (${items.length})`;
    mount(list, items.length ? items.map(datasetCard) : h("li", { class: "muted" }, "No datasets yet: upload a zip above."));
  };
  fill(datasets);
  const form = uploadForm(multipartFields(document_, "/v1/datasets"), async () => fill(await api.get("/v1/datasets")));
  mount(view,
    h("h1", {}, "Datasets"),
    h("section", { class: "panel" }, h("h2", {}, "Upload images"),
      h("p", {}, "A zip of images or several images (PNG, JPEG, WebP, BMP, GIF; 10 to 1,000 work best). "
        + "Each is centre-cropped and resized; exact duplicates are dropped and a few are held out for validation."),
      form),
    h("section", {}, heading, list));
}

export async function renderDataset(view, [id]) {
  const dataset = await api.get(datasetPath(id));
  document.title = `${dataset.name} · transfergen`;
  const slot = h("div", { class: "confirm-slot" });
  const message = h("div", { "aria-live": "polite" });
  const remove = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!(await confirmInline(slot, `Delete “${dataset.name}”? Its images are removed for good.`, "Delete dataset"))) return;
    try {
      await api.del(datasetPath(id));
      location.hash = "#/datasets";
    } catch (error) {
      const jobs = error.details?.job_ids ?? [];
      mount(message, alertBox(`Not deleted: ${errorText(error)}`),
        jobs.length ? h("p", {}, "Jobs using it: ", jobs.map((job, i) => [i ? ", " : "", link(`/jobs/${job}`, job.slice(0, 8))])) : null);
    }
  } }, "Delete");
  mount(view,
    h("p", { class: "crumbs" }, link("/datasets", "Datasets"), " / "),
    h("h1", {}, dataset.name),
    definitionList([
      ["Images", `${dataset.num_images} (${dataset.num_train} training, ${dataset.num_val} validation)`],
      ["Resolution", `${dataset.resolution}×${dataset.resolution}`],
      ["Uploaded", dateTime(dataset.created_at)],
      ["Id", h("code", {}, dataset.id)],
    ]),
    apiImage(`${datasetPath(id)}/preview.png`, `Preview of ${dataset.name}`, { className: "preview pixelated" }),
    rejectedList(dataset.rejected),
    h("p", { class: "actions" },
      h("a", { class: "button primary", href: `#/train?dataset=${dataset.id}` }, "Fine-tune on this dataset"), " ", remove),
    slot, message);
}

// The start page: the three steps, with where each stands now.

import * as api from "../api.js";
import { statusBadge } from "../components.js";
import { h, link, mount } from "../dom.js";
import { percent, plural, shortId } from "../format.js";
import { TERMINAL } from "../job-follower.js";

export async function renderHome(view) {
  document.title = "transfergen";
  const [datasets, jobs, models] = await Promise.all([api.get("/v1/datasets"), api.get("/v1/jobs"), api.get("/v1/models")]);
  const active = jobs.filter((job) => !TERMINAL.has(job.status));
  const trained = models.filter((model) => model.deletable);
  const step = (number, title, text, action) => h("li", { class: "card step" },
    h("h2", {}, `${number}. ${title}`), h("p", {}, text), h("p", {}, action));
  mount(view,
    h("h1", {}, "Fine-tune an image generator on your images"),
    h("p", { class: "lead" }, "Upload 10 to 1,000 images, fine-tune a shipped base model on them, then get images by seed: "
      + "the same model and seed always give the same picture."),
    h("ol", { class: "cards steps" },
      step(1, "Upload a dataset", datasets.length ? `${plural(datasets.length, "dataset")} uploaded.` : "No dataset yet.",
        h("a", { class: `button${datasets.length ? "" : " primary"}`, href: "#/datasets" }, datasets.length ? "Datasets" : "Upload images")),
      step(2, "Fine-tune", active.length ? `${plural(active.length, "job")} queued or running.` : `${plural(jobs.length, "job")} so far.`,
        h("a", { class: `button${datasets.length && !active.length ? " primary" : ""}`, href: "#/train" }, "New fine-tune")),
      step(3, "Explore seeds", trained.length ? `${plural(trained.length, "model")} of yours, plus ${plural(models.length - trained.length, "shipped base")}.`
        : `${plural(models.length, "shipped base model")}; your fine-tunes appear here.`,
      h("a", { class: `button${trained.length ? " primary" : ""}`, href: trained.length ? `#/models/${trained[0].id}/explore` : "#/models" },
        trained.length ? "Explore your newest model" : "Models"))),
    active.length ? h("section", {}, h("h2", {}, "Running now"), h("ul", { class: "plain" }, active.map((job) =>
      h("li", {}, statusBadge(job.status), " ", link(`/jobs/${job.id}`, `job ${shortId(job.id)}`),
        job.progress ? ` — ${percent(job.progress.fraction)}` : "")))) : null);
}

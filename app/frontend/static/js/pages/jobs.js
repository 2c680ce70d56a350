// Jobs: the list, and one job live (progress, ETA, losses and KID chart, preview grid, event log, cancel).

import * as api from "../api.js";
import { trainingChart } from "../chart.js";
import { confirmInline, progressBar, statusBadge } from "../components.js";
import { alertBox, definitionList, h, link, mount, sleep } from "../dom.js";
import { errorText } from "../errors.js";
import { dateTime, duration, number, ordinal, percent, shortId } from "../format.js";
import { JobFollower, TERMINAL } from "../job-follower.js";
import { TrainingLog } from "../training-log.js";

const LIST_REFRESH_MS = 3000;
const METRICS_MIN_INTERVAL_MS = 1500; // at most one training-log request this often while it trains
const jobPath = (id) => `/v1/jobs/${encodeURIComponent(id)}`;
const MODES = {
  live: "Live",
  reconnecting: "Connection lost: reconnecting…",
  polling: "Live updates are unavailable: checking every 2 s",
  done: "",
};

function progressWords(job) {
  const p = job.progress;
  if (job.status === "queued") {
    if (job.queue_position === 1) return "Waiting: next to start";
    if (job.queue_position) return `Waiting: ${ordinal(job.queue_position)} in the queue`;
    return "Waiting for a worker";
  }
  if (!p) return job.status === "running" ? "Starting: loading the model and data…" : "";
  return `Step ${p.step.toLocaleString("en")} of ${p.total_steps.toLocaleString("en")} (${percent(p.fraction)})`;
}

function title(job, datasets) {
  const config = job.config ?? {};
  const dataset = datasets.get(config.dataset_id)?.name ?? config.dataset_id ?? "?";
  return config.base_model_id ? `Fine-tune of ${config.base_model_id} on ${dataset}` : `Training from scratch on ${dataset}`;
}

export async function renderJobs(view, _params, _query, signal) {
  document.title = "Jobs · transfergen";
  const body = h("tbody");
  const table = h("table", { class: "jobs", id: "job-table" },
    h("thead", {}, h("tr", {}, ["Job", "Status", "Progress", "Dataset", "Base model", "Created"].map((t, i) =>
      h("th", { scope: "col", class: i > 2 ? "wide-only" : null }, t)))),
    body);
  const empty = h("p", { class: "muted" });
  mount(view, h("h1", {}, "Jobs"),
    h("p", {}, h("a", { class: "button primary", href: "#/train" }, "New fine-tune")), empty, h("div", { class: "table-wrap" }, table));
  while (!signal.aborted) {
    const [jobs, datasets] = await Promise.all([api.get("/v1/jobs", { signal }), api.get("/v1/datasets", { signal })]);
    const names = new Map(datasets.map((dataset) => [dataset.id, dataset.name]));
    empty.textContent = jobs.length ? "" : "No jobs yet. Start a fine-tune to see it here.";
    table.hidden = !jobs.length;
    mount(body, jobs.map((job) => {
      const bar = progressBar(job.progress ? percent(job.progress.fraction) : "");
      bar.update(job.progress?.fraction ?? 0);
      return h("tr", {},
        h("td", {}, link(`/jobs/${job.id}`, h("code", {}, shortId(job.id)))),
        h("td", {}, statusBadge(job.status)),
        h("td", {}, bar.element),
        h("td", { class: "wide-only" }, names.get(job.config?.dataset_id) ?? job.config?.dataset_id ?? ""),
        h("td", { class: "wide-only" }, job.config?.base_model_id ?? "from scratch"),
        h("td", { class: "wide-only" }, dateTime(job.created_at)));
    }));
    if (!jobs.some((job) => !TERMINAL.has(job.status))) return;
    await sleep(LIST_REFRESH_MS, signal);
  }
}

export async function renderJob(view, [id], _query, signal) {
  const datasets = new Map((await api.get("/v1/datasets", { signal })).map((dataset) => [dataset.id, dataset]));
  const heading = h("h1", {}, "Job");
  const badge = h("span", { id: "job-status" });
  const mode = h("span", { class: "muted mode", id: "job-mode" });
  const progress = progressBar("");
  progress.bar.id = "job-progress";
  progress.element.querySelector(".progress-text").id = "job-progress-text";
  const stats = h("div", { id: "job-stats" });
  const outcome = h("div", { id: "job-outcome", "aria-live": "polite" });
  const cancelSlot = h("div");
  const cancel = h("button", { type: "button", class: "danger", id: "job-cancel" }, "Cancel job");
  const chartBox = h("div", { class: "chart-box", id: "job-chart" }, h("p", { class: "muted" }, "The chart fills in after the first 10 steps."));
  const preview = h("img", { id: "job-preview", class: "preview pixelated", alt: "Latest preview grid", hidden: true });
  const previewCaption = h("p", { class: "muted small", id: "job-preview-caption" }, "The first preview grid appears after “preview every” steps.");
  const events = h("ol", { class: "events", id: "job-events" });
  const log = new TrainingLog();
  let job = null;
  let shownPreview = null;
  let metricsAt = 0;
  let metricsBusy = false;

  const drawChart = () => {
    if (!log.losses.length && !log.evaluations.length) return;
    mount(chartBox, trainingChart({ losses: log.losses, evaluations: log.evaluations, totalSteps: job?.progress?.total_steps }),
      h("p", { class: "legend" },
        h("span", { class: "key key-g" }, "G loss"), h("span", { class: "key key-d" }, "D loss"),
        h("span", { class: "key key-kid" }, "KID (right axis; lower is better)")));
  };
  const refreshMetrics = async (force = false) => {
    if (metricsBusy || (!force && Date.now() - metricsAt < METRICS_MIN_INTERVAL_MS)) return;
    metricsBusy = true;
    metricsAt = Date.now();
    try {
      const rows = await api.get(`${jobPath(id)}/metrics`, { query: { after_step: log.nextAfterStep }, signal });
      if (log.merge(rows)) drawChart();
    } catch (error) {
      if (error.name !== "AbortError") mount(chartBox, alertBox(`The training log could not be read: ${errorText(error)}`));
    } finally {
      metricsBusy = false;
    }
  };

  const showJob = (next) => {
    const previous = job;
    job = next;
    heading.textContent = title(job, datasets);
    document.title = `${job.status} · ${heading.textContent} · transfergen`;
    mount(badge, statusBadge(job.status));
    const p = job.progress;
    progress.update(job.status === "succeeded" ? 1 : p?.fraction ?? 0, progressWords(job));
    mount(stats, definitionList([
      ["ETA", job.status === "running" && p?.eta_seconds != null ? duration(p.eta_seconds) : null],
      ["Speed", job.status === "running" && p?.images_per_second ? `${number(p.images_per_second)} images/s` : null],
      ["Losses", p?.losses ? `G ${number(p.losses.g)} · D ${number(p.losses.d)}` : null],
      ["Latest KID", p?.latest_metrics?.kid_mean != null ? `${number(p.latest_metrics.kid_mean)} at step ${p.latest_metrics.step}` : null],
      ["ADA p", job.config?.augment === "ada" && p?.augment_p != null ? number(p.augment_p) : null],
      ["Checkpoint", p?.checkpoint_step ? `step ${p.checkpoint_step}` : null],
      ["Attempts", job.attempts > 1 ? String(job.attempts) : null],
      ["Started", job.started_at ? dateTime(job.started_at) : null],
      ["Finished", job.finished_at ? dateTime(job.finished_at) : null],
    ]));
    if (job.resuming) mount(outcome, alertBox("Its worker was lost; the job waits on the queue to resume from its last checkpoint.", { kind: "info" }));
    else if (job.status === "succeeded") {
      mount(outcome, alertBox(`Done: the new model is ${job.model_id}.`, { kind: "success" }),
        h("p", { class: "actions" },
          h("a", { class: "button primary", href: `#/models/${job.model_id}/explore`, id: "job-explore" }, "Explore its seeds"), " ",
          link(`/models/${job.model_id}`, "Model card")));
    } else if (job.status === "failed") {
      const config = job.config ?? {};
      mount(outcome, alertBox(`Failed: ${job.error ?? "no reason was recorded."}`),
        h("p", {}, link(`/train?dataset=${config.dataset_id ?? ""}&base=${config.base_model_id ?? ""}`, "Change the settings and start again")));
    } else if (job.status === "canceled") {
      mount(outcome, alertBox("Canceled. Its last checkpoint is kept on the server; start a new job to train again.", { kind: "info" }));
    } else if (job.cancel_requested) {
      mount(outcome, alertBox("Stopping at the next training step…", { kind: "info" }));
    } else if (job.status === "queued") {
      mount(outcome, h("p", { class: "muted" }, "A worker starts it when it is free. If it waits for long, check that a worker runs (python -m app.serve starts one)."));
    } else {
      mount(outcome);
    }
    cancel.hidden = TERMINAL.has(job.status);
    cancel.disabled = job.cancel_requested;
    if (p?.preview_step && p.preview_step !== shownPreview) {
      shownPreview = p.preview_step;
      api.showImage(preview, `${jobPath(id)}/preview.png?step=${p.preview_step}`);
      preview.hidden = false;
      previewCaption.textContent = `Step ${p.preview_step}: the same 16 seeds every time, so you see them change.`;
    }
    const finishedNow = TERMINAL.has(job.status) && previous && !TERMINAL.has(previous.status);
    if (finishedNow || (p && p.step >= log.lastStep + 10)) refreshMetrics(finishedNow);
  };

  const showEvent = (event) => {
    const following = events.scrollHeight - events.scrollTop - events.clientHeight < 8; // scrolled to the end
    events.append(h("li", {}, h("time", { datetime: event.time }, dateTime(event.time)), " ",
      h("strong", {}, event.type), " ", event.message));
    if (following) events.scrollTop = events.scrollHeight;
    if (event.type === "evaluated") refreshMetrics(true);
  };

  cancel.addEventListener("click", async () => {
    if (!(await confirmInline(cancelSlot, "Cancel this job? A running job stops at its next step.", "Cancel job"))) return;
    try {
      showJob(await api.post(`${jobPath(id)}/cancel`, undefined, { signal }));
    } catch (error) {
      if (error.name !== "AbortError") mount(cancelSlot, alertBox(`Not canceled: ${errorText(error)}`));
    }
  });

  const follower = new JobFollower(id, {
    onJob: showJob,
    onEvent: showEvent,
    onMode: (value) => { mount(mode, MODES[value] ?? ""); mode.dataset.mode = value; },
    onError: (error) => mount(outcome, alertBox(`Live updates stopped: ${errorText(error)} Reload the page to follow the job again.`)),
  });
  signal.addEventListener("abort", () => follower.stop());

  mount(view,
    h("p", { class: "crumbs" }, link("/jobs", "Jobs"), " / ", h("code", {}, shortId(id))),
    heading,
    h("div", { class: "status-row" }, badge, " ", mode),
    progress.element, stats, outcome,
    h("p", { class: "actions" }, cancel), cancelSlot,
    h("div", { class: "columns" },
      h("section", { class: "panel" }, h("h2", {}, "Losses and KID"), chartBox),
      h("section", { class: "panel" }, h("h2", {}, "Preview"), preview, previewCaption)),
    h("section", { class: "panel" }, h("h2", {}, "Event log"), events));
  await follower.start();
  await refreshMetrics(true);
}

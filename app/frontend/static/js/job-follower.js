// Follows one job live: its event log and its state, from the SSE stream of /v1/jobs/{id}/events,
// resuming with Last-Event-ID after a dropped connection, and polling when streaming keeps failing.

import * as api from "./api.js";
import { sleep } from "./dom.js";
import { streamEvents } from "./sse.js";

export const TERMINAL = new Set(["succeeded", "failed", "canceled"]);

const DEFAULTS = {
  pollMs: 2000, // polling fallback: job and new events this often
  reconnectMs: 1000, // wait before reconnecting, times the failures in a row
  maxStreamFailures: 3, // stream attempts in a row that get nothing before falling back to polling
  silenceMs: 45000, // the server sends a keep-alive every 15 s: this long without a byte is a dead stream
};

/**
 * onJob(job) for every new state of the job, onEvent(event) once per log event in seq order,
 * onMode(mode): "live" | "reconnecting" | "polling" | "done"; onError(error) when following stops on an error.
 */
export class JobFollower {
  constructor(jobId, { onJob, onEvent, onMode, onError }, options = {}) {
    this.jobId = jobId;
    this.handlers = { onJob, onEvent, onMode: onMode ?? (() => {}), onError: onError ?? (() => {}) };
    this.options = { ...DEFAULTS, ...options };
    this.lastSeq = 0;
    this.job = null;
    this.controller = new AbortController();
  }

  get stopped() {
    return this.controller.signal.aborted;
  }

  /** Loads the job and its log so far, then follows it in the background; rejects if the job cannot be read. */
  async start() {
    const path = `/v1/jobs/${encodeURIComponent(this.jobId)}`;
    const job = await api.get(path); // before the log, as in #poll
    this.#events(await api.get(`${path}/events`));
    this.#job(job);
    if (TERMINAL.has(job.status)) this.handlers.onMode("done");
    else this.#follow().catch((error) => this.#fail(error));
  }

  stop() {
    this.controller.abort();
  }

  #job(job) {
    if (this.stopped) return;
    this.job = job;
    this.handlers.onJob(job);
  }

  #events(events) {
    for (const event of events) {
      if (this.stopped || event.seq <= this.lastSeq) continue; // a resumed stream may repeat nothing, but be sure
      this.lastSeq = event.seq;
      this.handlers.onEvent(event);
    }
  }

  get finished() {
    return this.job !== null && TERMINAL.has(this.job.status);
  }

  async #follow() {
    let failures = 0;
    while (!this.stopped && !this.finished) {
      if (failures >= this.options.maxStreamFailures) return this.#poll();
      this.handlers.onMode(failures ? "reconnecting" : "live");
      const received = await this.#streamOnce();
      if (this.stopped) return;
      if (this.finished) break;
      failures = received ? 0 : failures + 1;
      await sleep(this.options.reconnectMs * Math.max(failures, 1), this.controller.signal);
    }
    if (!this.stopped) this.handlers.onMode("done");
  }

  /** One connection; true if it delivered anything. Errors other than "no answer" stop following. */
  async #streamOnce() {
    const attempt = new AbortController();
    const stopAttempt = () => attempt.abort();
    this.controller.signal.addEventListener("abort", stopAttempt, { once: true });
    let lastByte = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastByte > this.options.silenceMs) attempt.abort();
    }, 1000);
    let received = false;
    try {
      const path = `/v1/jobs/${encodeURIComponent(this.jobId)}/events?stream=true`;
      const messages = streamEvents(path, {
        lastEventId: this.lastSeq, signal: attempt.signal, onBytes: () => { lastByte = Date.now(); },
      });
      for await (const message of messages) {
        received = true;
        const data = JSON.parse(message.data);
        if (message.event === "progress") this.#job(data);
        else this.#events([data]);
      }
    } catch (error) {
      if (error.name !== "AbortError" && !(error instanceof api.ApiError && error.status === 0)) throw error;
    } finally {
      clearInterval(watchdog);
      this.controller.signal.removeEventListener("abort", stopAttempt);
    }
    return received;
  }

  async #poll() {
    this.handlers.onMode("polling");
    const path = `/v1/jobs/${encodeURIComponent(this.jobId)}`;
    while (!this.stopped) {
      try {
        // The job first: its final event is written before it turns terminal, so it is in the log read next.
        const job = await api.get(path, { signal: this.controller.signal });
        this.#events(await api.get(`${path}/events`, { query: { after: this.lastSeq }, signal: this.controller.signal }));
        this.#job(job);
        if (this.finished) {
          this.handlers.onMode("done");
          return;
        }
      } catch (error) {
        if (error.name === "AbortError") return;
        if (!(error instanceof api.ApiError && error.status === 0)) throw error; // no answer: keep trying
      }
      await sleep(this.options.pollMs, this.controller.signal);
    }
  }

  #fail(error) {
    if (this.stopped || error.name === "AbortError") return;
    this.handlers.onError(error);
  }
}

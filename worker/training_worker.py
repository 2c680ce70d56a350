"""RQ's forking Worker, plus transfergen's lost-job sweep (worker.recovery) and pause on shutdown.

RQ itself notices a dead worker's job only at its registry maintenance (every 10 minutes) and then
fails it. This worker sweeps at start-up and every SWEEP_INTERVAL_S, idle or busy (RQ wakes the
parent that often: the dequeue timeout while idle, the horse-monitoring interval while busy), and at
once after its own horse dies without finishing (killed), so a lost job resumes within seconds.

A warm shutdown (one SIGTERM, as `docker stop` sends) does not wait hours for a training run: the
horse is asked to checkpoint and stop at its next step, and the job goes back on the queue for the
next worker to resume exactly there. A second SIGTERM still kills the horse at once (RQ's cold
shutdown); the job then resumes from its last periodic checkpoint.
"""
from __future__ import annotations

import logging
import time

from rq import Worker

from worker import lease
from worker.queue import pause_key
from worker.recovery import Recovery
from worker.settings import QueueSettings

log = logging.getLogger(__name__)

MONITOR_INTERVAL_S = 5  # at most: a shutdown's pause request reaches the horse within this (plus a step)


class TrainingWorker(Worker):
    def __init__(self, *args, settings: QueueSettings, **kwargs):
        self.settings = settings  # before Worker.__init__, which reads dequeue_timeout
        # The parent wakes this often while its horse trains: to sweep, and to pass on a pause request.
        kwargs.setdefault("job_monitoring_interval", min(self._interval, MONITOR_INTERVAL_S))
        super().__init__(*args, **kwargs)
        self.recovery = Recovery(self.connection, settings)
        self._next_sweep = 0.0
        self._last_horse_pid = 0
        self._pause_requested = False  # set in the signal handler; acted on in the monitor loop
        self._paused_job: str | None = None

    @property
    def _interval(self) -> int:
        return max(1, round(self.settings.sweep_interval_s))

    @property
    def dequeue_timeout(self) -> int:
        return self._interval  # wake up that often while idle, to sweep

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return time.monotonic() >= self._next_sweep or super().should_run_maintenance_tasks

    def run_maintenance_tasks(self) -> None:
        self.sweep_if_due()
        if super().should_run_maintenance_tasks:
            super().run_maintenance_tasks()

    def handle_warm_shutdown_request(self) -> None:
        super().handle_warm_shutdown_request()
        self._pause_requested = True  # no Redis here: a signal handler may interrupt a Redis call

    def maintain_heartbeats(self, job, execution) -> None:
        super().maintain_heartbeats(job, execution)
        if self._pause_requested and self._paused_job is None:
            self._pause(job.id)
        self.sweep_if_due()  # while our own horse trains: other workers' jobs may be lost

    def _pause(self, job_id: str) -> None:
        """Ask our horse (and only it: the flag holds its lease token) to checkpoint and stop."""
        holder = lease.holder(self.connection, job_id)
        if holder is not None and holder.startswith(lease.token_prefix(self._last_horse_pid)):
            self.connection.set(pause_key(job_id), holder, ex=24 * 3600)
            self._paused_job = job_id
            log.info("job %s: asked to pause for this worker's shutdown", job_id)

    def fork_work_horse(self, job, queue) -> None:
        super().fork_work_horse(job, queue)
        self._last_horse_pid = self._horse_pid

    def execute_job(self, job, queue) -> None:
        super().execute_job(job, queue)
        pid, self._last_horse_pid = self._last_horse_pid, 0
        try:
            if self._paused_job == job.id and self.recovery.requeue_paused(job.id):
                log.info("job %s: paused and back on the queue", job.id)
            elif pid and self.recovery.recover_dead_horse(job.id, pid):
                log.warning("job %s: work horse %s died mid-run; job re-enqueued", job.id, pid)
        except Exception:
            log.exception("job %s: could not put it back on the queue", job.id)

    def sweep_if_due(self) -> None:
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + self.settings.sweep_interval_s
        try:
            recovered = self.recovery.sweep()
        except Exception:  # never let the sweep take the worker down
            log.exception("lost-job sweep failed")
            return
        if recovered:
            log.info("sweep: re-enqueued or failed %d lost job(s): %s", len(recovered), ", ".join(recovered))

"""RQ's forking Worker, plus transfergen's lost-job sweep (worker.recovery).

Leaning on RQ's public API:
- a killed work horse: RQ calls `work_horse_killed_handler` (a constructor argument) with the job and
  the horse's pid; we record the loss (lease tombstoned, `lost` event, or failed after too many), and
  RQ's `Retry` (every job is enqueued with one, jobs.queue) puts the job back on the queue at once;
- a warm shutdown (one SIGTERM, as `docker stop` sends): RQ stores `shutdown_requested_date` on the
  worker; the horse reads it (worker.jobs), checkpoints at its next step and pauses, and RQ's Retry
  requeues the job for the next worker, which resumes exactly there. A second SIGTERM still kills the
  horse at once (RQ's cold shutdown); the job then resumes from its last periodic checkpoint;
- `maintenance_interval` (a constructor argument) makes RQ run its maintenance every SWEEP_INTERVAL_S.

What stays custom, and why:
- `run_maintenance_tasks` adds the sweep to RQ's maintenance. RQ's own clean-up of abandoned jobs
  (StartedJobRegistry.cleanup) waits for their execution heartbeat to expire and then retries them
  blind; the sweep knows each job's lease (30 s), its checkpoint and how often it was lost at that
  checkpoint, and fails a job that keeps dying instead of retrying it forever;
- `dequeue_timeout`: RQ blocks an idle worker in BLPOP for worker_ttl - 15 s (405 s by default), and
  maintenance runs only between two waits; waking every sweep interval keeps lost jobs coming back
  within seconds while the worker is idle;
- `maintain_heartbeats`: the one method RQ calls in the worker parent while its horse trains (every
  job_monitoring_interval); the sweep runs there too, so a busy worker still brings back other
  workers' lost jobs. RQ has no public hook in that loop.
"""
from __future__ import annotations

import logging
import time

from rq import Worker

from jobs.settings import QueueSettings
from worker.recovery import Recovery

log = logging.getLogger(__name__)

MONITOR_INTERVAL_S = 5  # at most: how often the parent wakes while its horse trains


class TrainingWorker(Worker):
    def __init__(self, *args, settings: QueueSettings, **kwargs):
        self.settings = settings
        interval = max(1, round(settings.sweep_interval_s))
        kwargs.setdefault("job_monitoring_interval", min(interval, MONITOR_INTERVAL_S))
        kwargs.setdefault("maintenance_interval", interval)
        kwargs.setdefault("work_horse_killed_handler", self._horse_killed)
        super().__init__(*args, **kwargs)
        self.recovery = Recovery(self.connection, settings)
        self._next_sweep = 0.0

    @property
    def dequeue_timeout(self) -> int:
        return self.maintenance_interval  # wake up that often while idle, to sweep

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        self.sweep_if_due()

    def maintain_heartbeats(self, *args, **kwargs) -> None:
        super().maintain_heartbeats(*args, **kwargs)
        self.sweep_if_due()  # while our own horse trains: other workers' jobs may be lost

    def _horse_killed(self, job, horse_pid: int, status: int, rusage) -> None:
        try:
            if self.recovery.record_dead_horse(job.id, horse_pid):
                log.warning("job %s: work horse %s died mid-run; RQ retries it", job.id, horse_pid)
        except Exception:  # RQ goes on to retry the job either way; the sweep catches what this missed
            log.exception("job %s: could not record the loss of its work horse", job.id)

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
